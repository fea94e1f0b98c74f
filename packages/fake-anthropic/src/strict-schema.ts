// What strict tool use accepts in an input_schema, from the structured outputs page ("JSON Schema limitations",
// read 2026-12 through the search tool): "Numerical constraints (such as minimum, maximum, multipleOf)", "String
// constraints (minLength, maxLength)", "Array constraints beyond minItems of 0 or 1", "additionalProperties set to
// anything other than false", "External $ref" and "Complex types within enums" are not supported, and "If you use
// an unsupported feature, you'll receive a 400 error with details". Its explicit limits per request: 20 strict
// tools, 24 optional parameters and 16 parameters with union types across all strict schemas.

const NUMERIC = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"];
const STRING = ["minLength", "maxLength"];
const ARRAY = ["maxItems", "uniqueItems", "contains", "minContains", "maxContains"];
const UNSUPPORTED = [...NUMERIC, ...STRING, ...ARRAY];

export const MAX_STRICT_TOOLS = 20;
export const MAX_OPTIONAL_PARAMETERS = 24;
export const MAX_UNION_PARAMETERS = 16;

type Schema = Record<string, unknown>;
const isSchema = (v: unknown): v is Schema => typeof v === "object" && v !== null && !Array.isArray(v);

interface Tally {
  optional: number;
  unions: number;
}

function isObjectSchema(s: Schema): boolean {
  return s.type === "object" || (Array.isArray(s.type) && s.type.includes("object")) || isSchema(s.properties);
}

/** The first unsupported use in `schema`, as "path: problem", counting optional and union parameters into `tally`. */
function problemIn(schema: Schema, path: string, tally: Tally): string | null {
  for (const keyword of UNSUPPORTED) {
    if (keyword in schema) return `${path}: "${keyword}" is not supported with strict tool use`;
  }
  if ("minItems" in schema && schema.minItems !== 0 && schema.minItems !== 1) {
    return `${path}: "minItems" of ${JSON.stringify(schema.minItems)} is not supported with strict tool use (only 0 or 1)`;
  }
  if (typeof schema.$ref === "string" && !schema.$ref.startsWith("#")) {
    return `${path}: external "$ref" is not supported with strict tool use`;
  }
  if (Array.isArray(schema.enum) && schema.enum.some((v) => typeof v === "object" && v !== null)) {
    return `${path}: "enum" values must be strings, numbers, booleans or null with strict tool use`;
  }
  if (isObjectSchema(schema) && schema.additionalProperties !== false) {
    return `${path}: "additionalProperties" must be set to false on every object with strict tool use`;
  }
  if (Array.isArray(schema.anyOf) || Array.isArray(schema.type)) tally.unions++;

  const children: [string, unknown][] = [];
  if (isSchema(schema.properties)) {
    const required = new Set(Array.isArray(schema.required) ? schema.required : []);
    for (const [name, child] of Object.entries(schema.properties)) {
      if (!required.has(name)) tally.optional++;
      children.push([`${path}.properties.${name}`, child]);
    }
  }
  if (isSchema(schema.items)) children.push([`${path}.items`, schema.items]);
  for (const key of ["anyOf", "allOf", "prefixItems"]) {
    const list = schema[key];
    if (Array.isArray(list)) for (const [i, child] of list.entries()) children.push([`${path}.${key}.${i}`, child]);
  }
  for (const key of ["$defs", "definitions"]) {
    const defs = schema[key];
    if (isSchema(defs)) for (const [name, child] of Object.entries(defs)) children.push([`${path}.${key}.${name}`, child]);
  }
  for (const [childPath, child] of children) {
    if (!isSchema(child)) continue;
    const problem = problemIn(child, childPath, tally);
    if (problem) return problem;
  }
  return null;
}

/** The first reason the strict tools of a request would be refused, or null when the API would compile them. */
export function strictToolsProblem(tools: readonly { strict?: boolean; input_schema: Schema }[]): string | null {
  const strict = tools.map((tool, i) => ({ tool, i })).filter(({ tool }) => tool.strict === true);
  if (strict.length > MAX_STRICT_TOOLS) return `tools: at most ${MAX_STRICT_TOOLS} tools may set strict: true, got ${strict.length}`;
  const tally: Tally = { optional: 0, unions: 0 };
  for (const { tool, i } of strict) {
    const problem = problemIn(tool.input_schema, `tools.${i}.input_schema`, tally);
    if (problem) return problem;
  }
  if (tally.optional > MAX_OPTIONAL_PARAMETERS) {
    return `tools: strict schemas may have at most ${MAX_OPTIONAL_PARAMETERS} optional parameters in all, got ${tally.optional}`;
  }
  if (tally.unions > MAX_UNION_PARAMETERS) {
    return `tools: strict schemas may have at most ${MAX_UNION_PARAMETERS} parameters with union types in all, got ${tally.unions}`;
  }
  return null;
}
