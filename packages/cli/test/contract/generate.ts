/**
 * The CLI's contract, as committed under `contract/`: for each command its id, args and flags
 * (from oclif, as users type them) and the JSON schema of its `--json` result (from the return
 * type of its `run()`, read with the TypeScript compiler). `npm run contract:update` rewrites
 * the files; `test/contract.test.ts` fails when they differ from the code.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Config } from '@oclif/core';
import ts from 'typescript';

export type JsonSchema = { [key: string]: unknown };

export interface CommandContract {
  id: string;
  args: { name: string; required: boolean; options?: string[] }[];
  flags: { name: string; char?: string; type: 'boolean' | 'option'; required: boolean; multiple: boolean; options?: string[] }[];
  /** The JSON schema of what `--json` prints on success. */
  result: JsonSchema;
}

/** `pool:show` → `contract/pool/show.json`. */
export function contractPath(root: string, id: string): string {
  return join(root, 'contract', ...id.split(':')) + '.json';
}

/** Where the schema of a failed command's `--json` output (`ErrorResult`) is kept. */
export const errorContractPath = (root: string) => join(root, 'contract', 'error.json');

export async function generateContracts(root: string): Promise<{ commands: CommandContract[]; error: JsonSchema }> {
  const config = await Config.load({ root });
  const commands = [...config.commands].sort((a, b) => a.id.localeCompare(b.id));
  const sources = commands.map((c) => sourceOf(root, c.id));
  const { results: schemas, error } = resultSchemas(root, sources);
  return { error, commands: commands.map((command, i) => ({
    id: command.id,
    args: Object.values(command.args ?? {}).map((a) => ({
      name: a.name,
      required: a.required ?? false,
      ...(a.options ? { options: [...a.options] } : {}),
    })),
    flags: Object.values(command.flags ?? {})
      .filter((f) => !f.hidden)
      .map((f) => ({
        name: f.name,
        ...(f.char ? { char: f.char } : {}),
        type: f.type,
        required: f.required ?? false,
        multiple: f.type === 'option' ? (f.multiple ?? false) : false,
        ...(f.type === 'option' && f.options ? { options: [...f.options] } : {}),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    result: schemas[i]!,
  })) };
}

function sourceOf(root: string, id: string): string {
  const base = join(root, 'src', 'commands', ...id.split(':'));
  const file = [`${base}.ts`, join(base, 'index.ts')].find((f) => existsSync(f));
  if (!file) throw new Error(`no source file for command ${id} at ${base}.ts or ${base}/index.ts`);
  return file;
}

/**
 * The schema of `T` in each file's default-exported command's `run(): Promise<T>`, and of the
 * `ErrorResult` every command prints when it fails.
 */
function resultSchemas(root: string, files: string[]): { results: JsonSchema[]; error: JsonSchema } {
  const configFile = ts.readConfigFile(join(root, 'tsconfig.build.json'), (path) => ts.sys.readFile(path));
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
  const errorFile = join(root, 'src', 'shared', 'base-command.ts');
  const program = ts.createProgram([...files, errorFile], { ...parsed.options, noEmit: true });
  const checker = program.getTypeChecker();
  const errorDeclaration = program
    .getSourceFile(errorFile)!
    .statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'ErrorResult');
  if (!errorDeclaration) throw new Error(`${errorFile}: no ErrorResult interface`);
  const error = new SchemaWriter(checker).schema(checker.getTypeAtLocation(errorDeclaration));
  const results = files.map((file) => {
    const source = program.getSourceFile(file)!;
    const command = source.statements.find(
      (s): s is ts.ClassDeclaration =>
        ts.isClassDeclaration(s) && (ts.getCombinedModifierFlags(s) & ts.ModifierFlags.Default) !== 0,
    );
    const run = command?.members.find((m): m is ts.MethodDeclaration => ts.isMethodDeclaration(m) && m.name.getText(source) === 'run');
    if (!run) throw new Error(`${file}: no default-exported command class with a run() method`);
    const signature = checker.getSignatureFromDeclaration(run)!;
    const promised = checker.getReturnTypeOfSignature(signature);
    const [result] = checker.getTypeArguments(promised as ts.TypeReference);
    if (!result) throw new Error(`${file}: run() must be declared as returning Promise<ItsResult>`);
    return new SchemaWriter(checker).schema(result);
  });
  return { results, error };
}

class SchemaWriter {
  private readonly open = new Set<ts.Type>();

  constructor(private readonly checker: ts.TypeChecker) {}

  schema(type: ts.Type): JsonSchema {
    const { flags } = type;
    if (flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return {};
    if (flags & ts.TypeFlags.Null) return { type: 'null' };
    if (flags & ts.TypeFlags.StringLiteral) return { const: (type as ts.StringLiteralType).value };
    if (flags & ts.TypeFlags.NumberLiteral) return { const: (type as ts.NumberLiteralType).value };
    if (flags & ts.TypeFlags.BooleanLiteral) return { const: type === this.checker.getTrueType() };
    if (flags & ts.TypeFlags.StringLike) return { type: 'string' };
    if (flags & ts.TypeFlags.NumberLike) return { type: 'number' };
    if (flags & ts.TypeFlags.Boolean) return { type: 'boolean' };
    if (type.isUnion()) return this.union(type.types);
    if (type.isIntersection()) return this.object(type);
    if (this.open.has(type)) return {};
    this.open.add(type);
    try {
      if (type.getSymbol()?.getName() === 'Date') return { type: 'string', format: 'date-time' };
      if (this.checker.isArrayType(type)) return { type: 'array', items: this.schema(this.checker.getTypeArguments(type as ts.TypeReference)[0]!) };
      if (this.checker.isTupleType(type)) {
        const items = this.checker.getTypeArguments(type as ts.TypeReference).map((t) => this.schema(t));
        return { type: 'array', prefixItems: items, minItems: items.length, maxItems: items.length };
      }
      return this.object(type);
    } finally {
      this.open.delete(type);
    }
  }

  private union(members: ts.Type[]): JsonSchema {
    const present = members.filter((t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)));
    const booleans = present.filter((t) => t.flags & ts.TypeFlags.BooleanLiteral);
    const others = present.filter((t) => !(t.flags & ts.TypeFlags.BooleanLiteral));
    const schemas = [...(booleans.length === 2 ? [{ type: 'boolean' }] : booleans.map((t) => this.schema(t))), ...others.map((t) => this.schema(t))];
    if (schemas.length === 1) return schemas[0]!;
    if (schemas.every((s) => 'const' in s && Object.keys(s).length === 1)) return { enum: schemas.map((s) => s.const) };
    return { anyOf: schemas };
  }

  private object(type: ts.Type): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const property of this.checker.getPropertiesOfType(type)) {
      const declaration = property.valueDeclaration ?? property.declarations?.[0];
      const propertyType = declaration ? this.checker.getTypeOfSymbolAtLocation(property, declaration) : this.checker.getTypeOfSymbol(property);
      // JSON.stringify drops functions and undefined.
      if (propertyType.getCallSignatures().length) continue;
      properties[property.getName()] = this.schema(propertyType);
      const optional = (property.flags & ts.SymbolFlags.Optional) !== 0 || (propertyType.isUnion() && propertyType.types.some((t) => t.flags & ts.TypeFlags.Undefined));
      if (!optional) required.push(property.getName());
    }
    const index = this.checker.getIndexInfoOfType(type, ts.IndexKind.String);
    return {
      type: 'object',
      properties,
      required: required.sort(),
      additionalProperties: index ? this.schema(index.type) : false,
    };
  }
}
