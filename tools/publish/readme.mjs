/**
 * What a package README promises a user of its tarball: a first TypeScript example that runs
 * with the packages the README tells them to install, and no paths to files the tarball does
 * not ship.
 */

import { ships } from './manifest.mjs';

const FENCE = /^```(\w*)[^\n]*\n([\s\S]*?)^```[ \t]*$/gm;

/** The fenced code blocks of a Markdown text, in order: `{ lang, code, index }`. */
export function codeBlocks(markdown) {
  return [...markdown.matchAll(FENCE)].map((m) => ({ lang: m[1], code: m[2], index: m.index }));
}

/** The first ```ts block (its code), or undefined. */
export function firstTsBlock(markdown) {
  return codeBlocks(markdown).find((block) => block.lang === 'ts' || block.lang === 'typescript');
}

/** The bare package names a module imports (`@scope/name` or `name`; `node:` builtins left out). */
export function importedPackages(code) {
  const names = new Set();
  for (const m of code.matchAll(
    /\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm,
  )) {
    const specifier = m[1] ?? m[2] ?? m[3];
    if (specifier.startsWith('.') || specifier.startsWith('node:') || specifier.startsWith('/'))
      continue;
    const parts = specifier.split('/');
    names.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
  }
  return [...names].sort();
}

/** The packages the README's `npm install …` lines before `before` (a text offset) name. */
export function installedPackages(markdown, before = markdown.length) {
  const names = new Set();
  for (const block of codeBlocks(markdown)) {
    if (block.index > before) break;
    for (const line of block.code.split('\n')) {
      const m = /^\s*npm\s+(?:install|i|add)\s+(.*)$/.exec(line);
      if (m === null) continue;
      for (const word of m[1].split(/\s+/)) {
        if (word === '' || word.startsWith('-') || word.startsWith('#')) continue;
        names.add(word.replace(/(.)@[^/]*$/, '$1'));
      }
    }
  }
  return [...names].sort();
}

/** Markdown text outside fenced blocks, and the inline code spans and link targets in it. */
function prose(markdown) {
  return markdown.replace(FENCE, (block) => '\n'.repeat(block.split('\n').length - 1));
}

/**
 * Relative paths a README names, with their line: inline code spans and link targets in the
 * prose, and words of shell blocks, that look like `dir/file` paths (no spaces, a `/`, not a
 * package name, a URL, an absolute path or an option).
 */
export function namedPaths(markdown) {
  const found = [];
  const lineOf = (text, index) => text.slice(0, index).split('\n').length;
  const looksLikePath = (s) =>
    /^[\w.*<>-]+(\/[\w.*<>@-]*)+$/.test(s) && !s.startsWith('@') && !s.startsWith('-');
  const text = prose(markdown);
  for (const m of text.matchAll(/`([^`\n]+)`/g)) {
    if (looksLikePath(m[1])) found.push({ path: m[1], line: lineOf(text, m.index) });
  }
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
    found.push({ path: target, line: lineOf(text, m.index), link: true });
  }
  for (const block of codeBlocks(markdown)) {
    if (!['sh', 'bash', 'shell', 'console'].includes(block.lang)) continue;
    const start = lineOf(markdown, block.index) + 1;
    block.code.split('\n').forEach((line, i) => {
      for (const word of line.replace(/#.*$/, '').split(/[\s=]+/)) {
        if (looksLikePath(word)) found.push({ path: word, line: start + i });
      }
    });
  }
  return found;
}

/**
 * The named paths a user of the tarball cannot follow: relative links (the registry cannot
 * resolve them), paths out of the package (`../…`), and paths into a folder or file of the
 * package that `files` does not ship. `entries` are the package's top-level names, `ignored`
 * the ones git ignores (build outputs such as `dist` or `build`, made on the user's machine too).
 */
export function repoOnlyPaths(markdown, { files, entries, ignored }) {
  return namedPaths(markdown).filter(({ path, link }) => {
    if (link) return true;
    if (path.startsWith('../')) return true;
    const first = path.replace(/^\.\//, '').split('/')[0];
    if (!entries.includes(first) || ignored.includes(first)) return false;
    return !ships(files, path.replace(/^\.\//, ''));
  });
}
