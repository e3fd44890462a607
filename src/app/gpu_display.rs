//! Results drawn on the GPU: the WGSL shader writes each result tensor into a texture egui
//! samples, on the device the model ran on.

/// The GPU display path: the WGSL shader writes each result tensor into a texture that egui
/// samples, on the device the model ran on; nothing goes through the CPU.
pub struct GpuDisplay {
    render_state: eframe::egui_wgpu::RenderState,
    shader: crate::gpu_image::TensorToTexture,
    texture: Option<(wgpu::Texture, egui::TextureId)>,
}

impl GpuDisplay {
    /// The display path on the renderer eframe made on the model's own wgpu device.
    pub(super) fn new(render_state: eframe::egui_wgpu::RenderState) -> Self {
        Self {
            shader: crate::gpu_image::TensorToTexture::new(&render_state.device),
            render_state,
            texture: None,
        }
    }

    /// Write `output` into the display texture (made or resized as needed); its egui id.
    pub(super) fn show(
        &mut self,
        output: burn::tensor::Tensor<4>,
    ) -> Result<egui::TextureId, crate::gpu_image::GpuImageError> {
        use crate::gpu_image::{create_texture, display_view};
        let [_, _, h, w] = output.dims();
        let rs = &self.render_state;
        let fits = self
            .texture
            .as_ref()
            .is_some_and(|(t, _)| (t.width(), t.height()) == (w as u32, h as u32));
        if !fits {
            let texture = create_texture(&rs.device, w as u32, h as u32);
            let view = display_view(&texture);
            let mut renderer = rs.renderer.write();
            let id = match &self.texture {
                Some((_, id)) => {
                    renderer.update_egui_texture_from_wgpu_texture(
                        &rs.device,
                        &view,
                        wgpu::FilterMode::Linear,
                        *id,
                    );
                    *id
                }
                None => {
                    renderer.register_native_texture(&rs.device, &view, wgpu::FilterMode::Linear)
                }
            };
            self.texture = Some((texture, id));
        }
        let (texture, id) = self.texture.as_ref().expect("made above");
        self.shader.run(&rs.device, &rs.queue, output, texture)?;
        Ok(*id)
    }
}
