// Builds and runs the C++ kernel tests (native/test) under AddressSanitizer and
// UndefinedBehaviorSanitizer, in every configuration this machine can run:
//   host      the ISA tables this CPU runs (x86-64: AVX-512 if present, AVX2, SSE4.1), against serial
//   simde     x86-64: the AVX-512 kernels compiled against SIMDe's emulated intrinsics
//   aarch64   on other hosts: the NEON kernels cross-compiled and run under qemu-aarch64, once
//             sanitized (-O1) and once at the addon's -O3
// and checks that the built addon and the -O3 AArch64 kernels contain no fused multiply-add.
//
// A configuration whose tools are missing is skipped with a loud notice; under CI=true or
// SONA_REQUIRE_NATIVE=1 a missing tool is a failure.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { arch, platform } from 'node:process';
import { fileURLToPath } from 'node:url';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(packageRoot, 'native', 'test');
const buildRoot = join(packageRoot, 'build', 'native-test');
const addonPath = join(packageRoot, 'build', 'Release', 'sona_simd.node');
const strict = process.env.CI === 'true' || process.env.SONA_REQUIRE_NATIVE === '1';

const has = (command, args = ['--version']) =>
  spawnSync(command, args, { stdio: 'ignore' }).status === 0;

function cpuFlags() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('flags'));
    return new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []);
  } catch {
    return undefined;
  }
}

function findSimde() {
  const dirs = ['/usr/include', '/usr/local/include', ...(process.env.CPATH ?? '').split(':')];
  return dirs.some((d) => d && existsSync(join(d, 'simde', 'x86', 'avx512.h')));
}

function run(command, args, options = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.on('error', (error) => resolvePromise({ status: -1, output: String(error) }));
    child.on('close', (status) => resolvePromise({ status, output }));
  });
}

const generator = has('ninja') ? ['-G', 'Ninja'] : [];
const x86 = arch === 'x64';
const flags = cpuFlags();

const configs = [
  {
    id: 'host',
    label: `${arch} kernels on this CPU (ASan+UBSan)`,
    cmakeArgs: [],
    binaryArgs: [],
    missing: has('c++') || has('g++') || has('clang++') ? [] : ['a C++ compiler'],
  },
];
if (x86) {
  const missing = [];
  if (!findSimde()) missing.push('SIMDe headers (apt-get install libsimde-dev)');
  if (flags && !flags.has('avx2')) missing.push('a CPU with AVX2 (the emulated build uses it)');
  configs.push({
    id: 'simde',
    label: 'AVX-512 kernels on SIMDe emulation (ASan+UBSan)',
    cmakeArgs: ['-DSONA_TEST_EMULATE_AVX512=ON'],
    binaryArgs: ['--emulated-avx512'],
    missing,
  });
}
if (arch !== 'arm64') {
  const missing = [];
  if (!has('aarch64-linux-gnu-g++')) {
    missing.push('aarch64-linux-gnu-g++ (apt-get install g++-aarch64-linux-gnu)');
  }
  if (!has('qemu-aarch64')) missing.push('qemu-aarch64 (apt-get install qemu-user)');
  configs.push({
    id: 'aarch64',
    label: 'NEON kernels cross-compiled, run under qemu-aarch64 (ASan+UBSan)',
    cmakeArgs: [`-DCMAKE_TOOLCHAIN_FILE=${join(sourceDir, 'aarch64-toolchain.cmake')}`],
    binaryArgs: [],
    emulator: ['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu'],
    // LeakSanitizer cannot run under qemu-user; ASan's other checks do.
    env: { ASAN_OPTIONS: 'detect_leaks=0' },
    missing,
  });
  configs.push({
    id: 'aarch64-O3',
    label: 'NEON kernels at the addon’s -O3, run under qemu-aarch64 (no sanitizers)',
    cmakeArgs: [
      `-DCMAKE_TOOLCHAIN_FILE=${join(sourceDir, 'aarch64-toolchain.cmake')}`,
      '-DSONA_TEST_SANITIZE=OFF',
    ],
    binaryArgs: [],
    emulator: ['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu'],
    missing,
  });
}

async function buildAndRun(config) {
  const dir = join(buildRoot, config.id);
  const configure = await run('cmake', [
    '-S',
    sourceDir,
    '-B',
    dir,
    ...generator,
    ...config.cmakeArgs,
  ]);
  if (configure.status !== 0) return { ok: false, output: configure.output };
  const build = await run('cmake', ['--build', dir]);
  if (build.status !== 0) return { ok: false, output: build.output };
  const binary = join(dir, 'kernels_test');
  const [command, ...prefix] = config.emulator ?? [binary];
  const args = config.emulator ? [...prefix, binary, ...config.binaryArgs] : config.binaryArgs;
  const result = await run(command, args, { env: { ...process.env, ...config.env } });
  return { ok: result.status === 0, output: result.output, binary };
}

const fusedOps = {
  x64: /\bvf(n)?m(add|sub|addsub|subadd)\d{3}[ps][sd]\b/,
  arm64: /\b(fmla|fmls|fmadd|fmsub|fnmadd|fnmsub)\b/,
};

function checkNoFma(file, objdump, pattern) {
  const dump = spawnSync(objdump, ['-d', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (dump.status !== 0) return `could not disassemble ${file}`;
  const hit = dump.stdout.split('\n').find((line) => pattern.test(line));
  return hit ? `fused multiply-add in ${file}: ${hit.trim()}` : undefined;
}

const skipped = [];
const failed = [];

if (!has('cmake')) {
  skipped.push('every native test: CMake was not found');
} else {
  const runnable = configs.filter((c) => {
    if (c.missing.length === 0) return true;
    skipped.push(`${c.label}: missing ${c.missing.join(', ')}`);
    return false;
  });
  const started = Date.now();
  const results = await Promise.all(runnable.map(buildAndRun));
  runnable.forEach((config, i) => {
    const result = results[i];
    console.log(`--- ${config.label}`);
    console.log(result.output.trim().split('\n').slice(-8).join('\n'));
    if (!result.ok) failed.push(config.label);
    if (result.ok && config.id === 'aarch64-O3' && has('aarch64-linux-gnu-objdump')) {
      const fma = checkNoFma(result.binary, 'aarch64-linux-gnu-objdump', fusedOps.arm64);
      if (fma) failed.push(fma);
      else console.log('no fused multiply-add instruction in the AArch64 kernels');
    }
  });
  console.log(`native kernel tests took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (existsSync(addonPath) && fusedOps[arch] && platform === 'linux') {
  if (has('objdump')) {
    const fma = checkNoFma(addonPath, 'objdump', fusedOps[arch]);
    if (fma) failed.push(fma);
    else console.log('no fused multiply-add instruction in build/Release/sona_simd.node');
  } else {
    skipped.push('the no-FMA check of the addon: objdump was not found');
  }
}

if (skipped.length > 0) {
  const banner = '!'.repeat(78);
  console.log(`\n${banner}`);
  for (const s of skipped) console.log(`!!! SKIPPED: ${s}`);
  console.log(banner);
}
if (failed.length > 0) {
  for (const f of failed) console.error(`FAILED: ${f}`);
  process.exit(1);
}
if (skipped.length > 0 && strict) {
  console.error('native tests were skipped under CI=true or SONA_REQUIRE_NATIVE=1: failing');
  process.exit(1);
}
