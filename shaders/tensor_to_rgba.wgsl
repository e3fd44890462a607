// pix2paint: the generator's output tensor -> the RGBA texture the UI shows, on the GPU.
//
// The tensor is the network's float output, [-1, 1], channels first (R, G, B planes), read
// straight from the storage buffer Burn computed it in, with its own element offset and
// strides (a cropped view is fine). Each invocation writes one pixel:
//   rgba = (clamp((v + 1) / 2, 0, 1) for R, G, B; 1)
// into an rgba8unorm storage texture (the hardware rounds to 8 bits, as the CPU path does
// with round(x * 255)). `tensor_to_rgba_reference` in src/gpu_image.rs is the CPU twin.

struct Params {
    width: u32,
    height: u32,
    // All in f32 elements.
    offset: u32,
    stride_c: u32,
    stride_y: u32,
    stride_x: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> tensor: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;
@group(0) @binding(2) var output: texture_storage_2d<rgba8unorm, write>;

fn to_unit(v: f32) -> f32 {
    return clamp((v + 1.0) * 0.5, 0.0, 1.0);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.width || id.y >= params.height) {
        return;
    }
    let base = params.offset + id.y * params.stride_y + id.x * params.stride_x;
    let rgb = vec3<f32>(
        to_unit(tensor[base]),
        to_unit(tensor[base + params.stride_c]),
        to_unit(tensor[base + 2u * params.stride_c]),
    );
    textureStore(output, vec2<i32>(i32(id.x), i32(id.y)), vec4<f32>(rgb, 1.0));
}
