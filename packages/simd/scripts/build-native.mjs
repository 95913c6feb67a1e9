// Builds the native addon (build/Release/sona_simd.node) with cmake-js against this Node's own
// headers; nothing is downloaded (Node-API mode, see CMakeLists.txt).
//
//   node scripts/build-native.mjs             build; any failure is an error
//   node scripts/build-native.mjs --install   the package's install script: without a C++
//                                             toolchain, print one warning and succeed (the
//                                             package then runs on its TypeScript backend),
//                                             unless SONA_REQUIRE_NATIVE=1
//   node scripts/build-native.mjs --update    before tests and benchmarks: bring the addon up
//                                             to date with the sources (incremental); without a
//                                             toolchain, say so and go on, unless
//                                             SONA_REQUIRE_NATIVE=1 or CI=true
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const addonPath = join(packageRoot, 'build', 'Release', 'sona_simd.node');
const mode = process.argv.includes('--install')
  ? 'install'
  : process.argv.includes('--update')
    ? 'update'
    : 'build';
const requireNative = process.env.SONA_REQUIRE_NATIVE === '1';
const strict =
  mode === 'build' || requireNative || (mode === 'update' && process.env.CI === 'true');

function succeeds(command, args) {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.status === 0;
}

function giveUp(reason) {
  if (strict) {
    const why = requireNative ? ' (SONA_REQUIRE_NATIVE=1)' : mode === 'update' ? ' (CI)' : '';
    console.error(`@sona/simd: ERROR: the native addon could not be built${why}: ${reason}`);
    process.exit(1);
  }
  if (mode === 'install') {
    console.warn(
      `@sona/simd: WARNING: the native SIMD addon was not built: ${reason}. ` +
        '@sona/simd will run on its TypeScript backend "js" (same results, slower). ' +
        'To build it, install CMake >= 3.15 and a C++17 compiler, then run ' +
        '"npm rebuild @sona/simd". Set SONA_REQUIRE_NATIVE=1 to make this an error.',
    );
  } else {
    console.warn(`@sona/simd: native addon not rebuilt (${reason}); using what is there, if any.`);
  }
  process.exit(0);
}

function findCompiler() {
  const candidates = [process.env.CXX, 'c++', 'g++', 'clang++'].filter(Boolean);
  return candidates.find((compiler) => succeeds(compiler, ['--version']));
}

function nodeIncludeDir() {
  const dir = resolve(dirname(process.execPath), '..', 'include', 'node');
  return existsSync(join(dir, 'node_api.h')) ? dir : undefined;
}

if (!succeeds('cmake', ['--version'])) giveUp('CMake was not found on PATH');
const compiler = findCompiler();
if (!compiler) giveUp('no C++ compiler was found (tried $CXX, c++, g++, clang++)');

let cmakeJs;
try {
  cmakeJs = join(
    dirname(createRequire(join(packageRoot, 'package.json')).resolve('cmake-js/package.json')),
    'bin',
    'cmake-js',
  );
} catch {
  giveUp('the cmake-js package is not installed');
}

const args = [
  cmakeJs,
  'build',
  '--directory',
  packageRoot,
  '--out',
  join(packageRoot, 'build'),
  '--config',
  'Release',
  '--parallel',
  String(Math.max(1, Math.min(availableParallelism(), 4))),
  '--log-level',
  'warn',
];
const includeDir = nodeIncludeDir();
if (includeDir) args.push(`--CDSONA_NODE_INCLUDE_DIR=${includeDir}`);

const build = spawnSync(process.execPath, args, {
  cwd: packageRoot,
  stdio: ['ignore', mode === 'install' ? 'pipe' : 'inherit', 'pipe'],
  encoding: 'utf8',
  env: { ...process.env, CXX: process.env.CXX ?? compiler },
});
if (build.status !== 0) {
  if (build.stdout) process.stderr.write(build.stdout);
  if (build.stderr) process.stderr.write(build.stderr);
  giveUp(`cmake-js exited with status ${build.status ?? build.signal}`);
}
if (build.stderr && mode !== 'install') process.stderr.write(build.stderr);

// Load it in a separate process: a broken addon must not take this script down with it.
const probe = spawnSync(
  process.execPath,
  ['-e', `process.stdout.write(require(${JSON.stringify(addonPath)}).backends.join(', '))`],
  { encoding: 'utf8' },
);
if (probe.status !== 0) {
  process.stderr.write(probe.stderr ?? '');
  giveUp('the built addon does not load');
}
if (mode !== 'update') {
  console.log(`@sona/simd: native kernels built; usable here: ${probe.stdout}`);
}
