// Bundles the console into dist/ (index.html, console.js, console.css), which Mesh.Api embeds. Run by the
// MeshBuildConsole target of src/Api/Mesh.Api.csproj after `npm ci`; `node build.mjs` by hand works too.
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';

const out = process.argv[2] || 'dist';
await mkdir(out, { recursive: true });
await build({
  entryPoints: ['src/main.js'],
  bundle: true,
  format: 'esm',
  minify: true,
  sourcemap: false,
  target: ['es2022'],
  outfile: `${out}/console.js`,
  logLevel: 'warning',
});
await copyFile('src/index.html', `${out}/index.html`);
await copyFile('src/console.css', `${out}/console.css`);
