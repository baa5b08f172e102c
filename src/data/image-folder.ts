/**
 * Image-folder datasets: `root/<class>/**\/*.{jpg,jpeg,png}`, one folder per class (nested
 * sub-folders allowed, as in BMC's `0001-1000/`). Files are listed in sorted order.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IMAGE_EXTENSIONS } from './image';

/** Options of {@link scanImageFolder}. */
export interface ImageFolderOptions {
  /** Class names in label order; folder names must match one (case-insensitive) or an alias. Default: sorted folder names. */
  classNames?: string[];
  /** Extra accepted folder names (lower-cased key to class index). */
  aliases?: Record<string, number>;
}

/** One image found. */
export interface FolderItem {
  /** Absolute path. */
  path: string;
  /** Path relative to the root, `/`-separated (its provenance id). */
  relPath: string;
  /** Class index. */
  label: number;
}

function listImages(dir: string): string[] {
  const out: string[] = [];
  for (const d of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = path.join(dir, d.name);
    const isDir = d.isDirectory() || (d.isSymbolicLink() && fs.statSync(p).isDirectory());
    if (isDir) out.push(...listImages(p));
    else if (IMAGE_EXTENSIONS.includes(path.extname(d.name).toLowerCase())) out.push(p);
  }
  return out;
}

/** Class folders directly under `root` (hidden folders ignored). */
export function classFolders(root: string): string[] {
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => !d.name.startsWith('.') && (d.isDirectory() || (d.isSymbolicLink() && fs.statSync(path.join(root, d.name)).isDirectory())))
    .map((d) => d.name)
    .sort();
}

/**
 * Lists the images of an image-folder dataset. Errors name the folder: not found, no class
 * folders, a folder that is no known class, a class folder without images.
 */
export function scanImageFolder(root: string, options: ImageFolderOptions = {}): { classNames: string[]; items: FolderItem[] } {
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new Error(`${root}: image folder not found`);
  const folders = classFolders(root);
  if (!folders.length) throw new Error(`${root}: no class folders (expected ${root}/<class>/*.jpg|png)`);
  const classNames = options.classNames ?? folders;
  const lookup = new Map<string, number>();
  classNames.forEach((c, i) => lookup.set(c.toLowerCase(), i));
  for (const [k, v] of Object.entries(options.aliases ?? {})) if (!lookup.has(k.toLowerCase())) lookup.set(k.toLowerCase(), v);
  const items: FolderItem[] = [];
  for (const folder of folders) {
    const label = lookup.get(folder.toLowerCase());
    if (label === undefined) throw new Error(`${path.join(root, folder)}: folder '${folder}' is not one of the classes (${classNames.join(', ')})`);
    const files = listImages(path.join(root, folder));
    if (!files.length) throw new Error(`${path.join(root, folder)}: class folder has no .jpg/.jpeg/.png images`);
    for (const f of files) items.push({ path: f, relPath: path.relative(root, f).split(path.sep).join('/'), label });
  }
  return { classNames, items };
}
