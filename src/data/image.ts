/**
 * Image decoding (JPEG via jpeg-js, PNG via pngjs) to 8-bit RGB, bilinear resizing, and the
 * per-backbone normalisation of {@link ImagePreprocess}.
 */
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { ImagePreprocess } from './types';

/**
 * An undecoded-to-float image: raw 8-bit pixels, row-major `[height, width, channels]`, as the
 * decoders, the in-memory MedMNIST splits and the mini corpus hold them. Kept as bytes (4× smaller
 * than float32) and only resized and normalised (to the backbone's {@link ImagePreprocess}) per batch.
 */
export interface RawImage {
  /** Pixel bytes 0–255, `height * width * channels` of them; pixel `(y, x)` channel `c` is at `(y * width + x) * channels + c`. */
  pixels: Uint8Array;
  /** Image height in pixels (number of rows). */
  height: number;
  /** Image width in pixels (number of columns). */
  width: number;
  /** Bytes per pixel: 1 (grey) or 3 (RGB); `encodePng` also takes 4 (RGBA). */
  channels: number;
}

/** Image file extensions the loaders accept. */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png'];

/**
 * Decodes a JPEG or PNG (recognised by its magic bytes, not its name) to 8-bit RGB.
 * Alpha is dropped; 16-bit PNGs are scaled to 8 bits. `file` names the image in errors.
 */
export function decodeImage(bytes: Uint8Array, file: string): RawImage {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    try {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
      return { pixels: img.data, height: img.height, width: img.width, channels: 3 };
    } catch (err) {
      throw new Error(`${file}: cannot decode JPEG (${(err as Error).message ?? err})`);
    }
  }
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    let png: PNG;
    try {
      png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (err) {
      throw new Error(`${file}: cannot decode PNG (${(err as Error).message ?? err})`);
    }
    const n = png.width * png.height;
    const rgb = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) {
      rgb[i * 3] = png.data[i * 4];
      rgb[i * 3 + 1] = png.data[i * 4 + 1];
      rgb[i * 3 + 2] = png.data[i * 4 + 2];
    }
    return { pixels: rgb, height: png.height, width: png.width, channels: 3 };
  }
  throw new Error(`${file}: not a JPEG or PNG image (unrecognised file signature)`);
}

/**
 * Bilinear resize with half-pixel centres (`align_corners=False`, no antialiasing), the
 * convention of PyTorch's `F.interpolate(mode='bilinear')`. Returns float values on the 0-255 scale.
 */
export function resizeBilinear(src: ArrayLike<number>, height: number, width: number, channels: number, outHeight: number, outWidth: number): Float32Array {
  const out = new Float32Array(outHeight * outWidth * channels);
  const sy = height / outHeight;
  const sx = width / outWidth;
  for (let oy = 0; oy < outHeight; oy++) {
    const fy = Math.max(0, (oy + 0.5) * sy - 0.5);
    const y0 = Math.min(Math.floor(fy), height - 1);
    const y1 = Math.min(y0 + 1, height - 1);
    const wy = fy - y0;
    for (let ox = 0; ox < outWidth; ox++) {
      const fx = Math.max(0, (ox + 0.5) * sx - 0.5);
      const x0 = Math.min(Math.floor(fx), width - 1);
      const x1 = Math.min(x0 + 1, width - 1);
      const wx = fx - x0;
      for (let c = 0; c < channels; c++) {
        const a = src[(y0 * width + x0) * channels + c];
        const b = src[(y0 * width + x1) * channels + c];
        const d = src[(y1 * width + x0) * channels + c];
        const e = src[(y1 * width + x1) * channels + c];
        out[(oy * outWidth + ox) * channels + c] = (1 - wy) * ((1 - wx) * a + wx * b) + wy * ((1 - wx) * d + wx * e);
      }
    }
  }
  return out;
}

/** Checks an {@link ImagePreprocess}; errors name the field. */
export function validatePreprocess(p: ImagePreprocess): void {
  if (!Number.isInteger(p.size) || p.size < 1) throw new Error(`ImagePreprocess.size must be a positive integer, got ${p.size}`);
  if (p.channels !== 1 && p.channels !== 3) throw new Error(`ImagePreprocess.channels must be 1 or 3, got ${p.channels}`);
  if (!Array.isArray(p.mean) || p.mean.length !== p.channels) throw new Error(`ImagePreprocess.mean must have ${p.channels} values, got ${JSON.stringify(p.mean)}`);
  if (!Array.isArray(p.std) || p.std.length !== p.channels || p.std.some((s) => !(s > 0))) {
    throw new Error(`ImagePreprocess.std must have ${p.channels} positive values, got ${JSON.stringify(p.std)}`);
  }
}

/**
 * Resizes `img` to `size × size`, converts channels (grey is repeated to 3; RGB becomes grey by
 * ITU-R BT.601 luma when 1 channel is asked), then normalises `(x / 255 - mean) / std`, writing
 * into `out` at `offset` (row-major `[size, size, channels]`).
 */
export function preprocessInto(img: RawImage, p: ImagePreprocess, out: Float32Array, offset: number): void {
  const resized =
    img.height === p.size && img.width === p.size
      ? img.pixels
      : resizeBilinear(img.pixels, img.height, img.width, img.channels, p.size, p.size);
  const n = p.size * p.size;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < p.channels; c++) {
      let v: number;
      if (img.channels === p.channels) v = resized[i * img.channels + c];
      else if (img.channels === 1) v = resized[i];
      else v = 0.299 * resized[i * 3] + 0.587 * resized[i * 3 + 1] + 0.114 * resized[i * 3 + 2];
      out[offset + i * p.channels + c] = (v / 255 - p.mean[c]) / p.std[c];
    }
  }
}

/** {@link preprocessInto} for one image, into a new array. */
export function preprocessImage(img: RawImage, p: ImagePreprocess): Float32Array {
  validatePreprocess(p);
  const out = new Float32Array(p.size * p.size * p.channels);
  preprocessInto(img, p, out, 0);
  return out;
}
