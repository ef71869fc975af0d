/**
 * Checks the built package the way a user receives it (run after `npm run build`):
 *
 * 1. every `exports` target (code and types) is in the tarball (`npm pack --dry-run`);
 * 2. the React entry starts with `'use client'`;
 * 3. the transport entry and the chunks it loads import no React, no `@ai-sdk/react` and no Node
 *    built-ins, so Server Components, route handlers and browsers can all import it;
 * 4. the public types hold no `any`, and every exported symbol carries TSDoc.
 *
 * Exit 1 with one line per problem. `npm run check:package`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

interface ExportTarget {
  types?: string;
  import?: string;
}

/** Packages the transport entry must never load. */
export const REACT_ONLY_IMPORTS = ['react', 'react-dom', '@ai-sdk/react', 'swr', '@radix-ui/', '@tanstack/react-virtual', 'streamdown'];

/** Specifiers a built file imports statically (`import ... from`, `export ... from`, bare `import '...'`). */
export function staticImports(code: string): string[] {
  const found: string[] = [];
  for (const match of code.matchAll(/(?:^|[;\n}])\s*(?:import|export)\s*(?:[^'"]*?\sfrom\s*)?["']([^"']+)["']/g)) found.push(match[1]);
  return found;
}

/** Bare specifiers reachable from a built entry through its relative chunks. */
export function bareImportsOf(entry: string): Set<string> {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of staticImports(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
      else bare.add(specifier);
    }
  };
  visit(entry);
  return bare;
}

function packedFiles(root: string): Set<string> {
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  const [pack] = JSON.parse(output) as { files: { path: string }[] }[];
  return new Set(pack.files.map((file) => file.path));
}

/** `any` written in a declaration file, and exported symbols with no documentation comment. */
function auditTypes(root: string, typeEntries: string[]): string[] {
  const problems: string[] = [];
  const program = ts.createProgram(typeEntries, { strict: true, skipLibCheck: true, noEmit: true, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, jsx: ts.JsxEmit.ReactJSX });
  const checker = program.getTypeChecker();
  const dist = join(root, 'dist');
  for (const file of program.getSourceFiles()) {
    if (!file.fileName.startsWith(dist)) continue;
    const visit = (node: ts.Node) => {
      if (node.kind === ts.SyntaxKind.AnyKeyword) {
        const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
        problems.push(`\`any\` in the public types: ${relative(root, file.fileName)}:${line + 1}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  for (const entry of typeEntries) {
    const source = program.getSourceFile(entry);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) {
      problems.push(`no types found at ${relative(root, entry)}`);
      continue;
    }
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const documented = symbol.getDocumentationComment(checker).length > 0 || (symbol.declarations ?? []).some((declaration) => ts.getJSDocCommentsAndTags(declaration).length > 0);
      if (!documented) problems.push(`no TSDoc: ${exported.name} (${relative(root, entry)})`);
    }
  }
  return problems;
}

export function checkPackage(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, ExportTarget | string> };
  const files = packedFiles(root);
  const problems: string[] = [];
  const typeEntries: string[] = [];
  for (const [name, target] of Object.entries(pkg.exports)) {
    const paths = typeof target === 'string' ? [target] : [target.types, target.import].filter((path): path is string => path !== undefined);
    for (const path of paths) if (!files.has(path.replace(/^\.\//, ''))) problems.push(`exports["${name}"] points at ${path}, which is not in the tarball`);
    if (typeof target !== 'string' && target.types) typeEntries.push(join(root, target.types));
    if (typeof target !== 'string' && !target.types) problems.push(`exports["${name}"] has no types`);
  }
  const reactEntry = readFileSync(join(root, 'dist/react.js'), 'utf8');
  if (!/^['"]use client['"];?/.test(reactEntry)) problems.push(`dist/react.js does not start with 'use client'`);
  for (const specifier of bareImportsOf(join(root, 'dist/index.js'))) {
    if (specifier.startsWith('node:')) problems.push(`the transport entry imports the Node built-in ${specifier}`);
    if (REACT_ONLY_IMPORTS.some((name) => specifier === name || (name.endsWith('/') ? specifier.startsWith(name) : specifier.startsWith(`${name}/`)))) problems.push(`the transport entry imports ${specifier}`);
  }
  problems.push(...auditTypes(root, typeEntries));
  return problems;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const problems = checkPackage(process.cwd());
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) process.exit(1);
  console.log('package ok: every export has its types in the tarball, react.js is a client entry, the transport entry is React-free, the public types have no `any` and every export has TSDoc');
}
