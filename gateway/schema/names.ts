/**
 * GraphQL names for Convex things, deterministic and collision-free.
 * - A function `dir/file:fn` becomes the field `dirFileFn` (a default export `file:default`
 *   becomes `file`). If two paths give the same name, the later one in path order gets `_2`, `_3`.
 * - A table `orders` becomes the type `Order`: a rule-based singular of its last word (see
 *   `tableTypeName`; `Document` is appended on clashes).
 */
import type { ValidatorJSON } from "convex/values";

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** True when `name` is a valid GraphQL name (and not reserved with `__`). */
export function isGraphQLName(name: string): boolean {
  return GRAPHQL_NAME.test(name) && !name.startsWith("__");
}

/**
 * True when a function takes its whole args object as one `args: JSON` argument: its args are not
 * an object validator (it declares none), or they name a key GraphQL cannot.
 */
export function takesWholeArgs(validator: ValidatorJSON): boolean {
  if (validator.type !== "object") return true;
  return Object.keys(validator.value).some((key) => !isGraphQLName(key));
}

/** Why an object's `keys` cannot be the fields of a GraphQL type, or null when they can. */
export function fieldNamesProblem(keys: readonly string[]): string | null {
  if (keys.length === 0) return "an empty object: a GraphQL type needs at least one field";
  const bad = keys.find((key) => !isGraphQLName(key));
  return bad === undefined ? null : `the field name \`${bad}\` is not a GraphQL name`;
}

function words(text: string): string[] {
  return text.split(/[^A-Za-z0-9]+/).filter((word) => word.length > 0);
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** `dir/file:fn` -> `dirFileFn`; `file:default` -> `file`. */
export function fieldNameOf(path: string): string {
  const [modulePath = "", exportName = "default"] = path.split(":");
  const parts = [
    ...modulePath.split("/").flatMap(words),
    ...(exportName === "default" ? [] : words(exportName)),
  ];
  const [first = "fn", ...rest] = parts;
  let name = first.charAt(0).toLowerCase() + first.slice(1) + rest.map(capitalize).join("");
  if (!/^[A-Za-z_]/.test(name)) name = `_${name}`;
  return name;
}

/** Assigns each path a unique field name (paths are processed in sorted order). */
export function assignFieldNames(paths: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const path of [...paths].sort()) {
    const base = fieldNameOf(path);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    names.set(path, name);
  }
  return names;
}

/** Upper-case words joined by `_` (`NOT_LOGGED_IN`, `"RATE_LIMITED"`): constants, not acronyms. */
const SCREAMING_SNAKE = /^[^a-z]*[A-Z0-9]_[A-Z0-9][^a-z]*$/;

/** `fieldName` -> `FieldName`; `NOT_LOGGED_IN` -> `NotLoggedIn` (a lone `MOVIES` stays as it is). */
export function pascalCase(name: string): string {
  const parts = SCREAMING_SNAKE.test(name) ? words(name.toLowerCase()) : words(name);
  return parts.map(capitalize).join("") || "Value";
}

/**
 * Words ending in "ie", whose plural's "-ies" is not a "-y" word's ("movies" -> "Movie", not
 * "Movy"). No singularisation library is a dependency; this list covers the usual table names.
 */
const IE_WORDS = new Set(
  (
    "auntie beanie birdie bookie boogie brownie calorie collie cookie coterie foodie freebie " +
    "genie goalie hippie hoodie indie lie movie newbie pie pixie prairie reverie rookie " +
    "selfie smoothie sortie techie tie veggie zombie"
  ).split(" "),
);

/** Words ending in "s" that are singular as they are (besides the listed plurals' singulars). */
const SINGULAR_AS_IS = new Set(["series", "species", "news", "analytics"]);

/** Words ending in "u", whose plural's "-us" is not an "-us" word's ("menus" -> "Menu"). */
const U_WORDS = new Set("bayou cpu emu gnu gpu guru haiku menu sku tofu tutu".split(" "));

/**
 * Plurals that add "-es" after a sibilant ("dishes" -> "Dish", "boxes" -> "Box", "addresses" ->
 * "Address", "matches" -> "Match"), and the "-che" words whose plural only adds "-s".
 */
const SIBILANT_ES = /(ss|x|sh|ch|zz)es$/;
const CHE_WORDS = new Set(
  "ache avalanche cache cliche creche headache moustache mustache niche psyche".split(" "),
);

/** True when `word` (lower case) is a sibilant's "-es" plural. */
function sibilantPlural(word: string): boolean {
  if (!SIBILANT_ES.test(word)) return false;
  const singularWithE = word.slice(0, -1);
  return ![...CHE_WORDS].some((che) => singularWithE.endsWith(che));
}

/**
 * Plurals no suffix rule gets right, as `plural singular` pairs: irregular ones, `-ves` of `-f(e)`
 * words, `-oes` of `-o` words, Latin and Greek ones, and `-s` words whose plural adds `-es`
 * (`statuses`; other `-uses` and `-ases` words are `-use`/`-ase` ones: `houses`, `purchases`).
 */
const IRREGULAR_PLURALS = new Map(
  (
    "people person children child men man women woman mice mouse geese goose teeth tooth " +
    "feet foot oxen ox knives knife lives life wives wife wolves wolf halves half shelves shelf " +
    "leaves leaf thieves thief calves calf loaves loaf selves self elves elf scarves scarf " +
    "heroes hero potatoes potato tomatoes tomato echoes echo vetoes veto torpedoes torpedo " +
    "volcanoes volcano cargoes cargo mosquitoes mosquito tornadoes tornado dominoes domino " +
    "criteria criterion phenomena phenomenon indices index vertices vertex matrices matrix " +
    "appendices appendix analyses analysis crises crisis theses thesis hypotheses hypothesis " +
    "diagnoses diagnosis synopses synopsis parentheses parenthesis cacti cactus fungi fungus " +
    "radii radius stimuli stimulus alumni alumnus syllabi syllabus foci focus quizzes quiz " +
    "statuses status buses bus campuses campus bonuses bonus viruses virus focuses focus " +
    "censuses census syllabuses syllabus surpluses surplus circuses circus choruses chorus " +
    "nexuses nexus prospectuses prospectus octopuses octopus walruses walrus cactuses cactus " +
    "aliases alias canvases canvas atlases atlas gases gas biases bias lenses lens axes axis"
  )
    .split(" ")
    .flatMap((word, index, all) => (index % 2 === 0 ? [[word, all[index + 1] ?? word]] : []))
    .map(([plural, singular]) => [plural, singular] as [string, string]),
);

/** The singulars of the listed plurals: a table named so (`alias`, `canvas`) keeps its name. */
const IRREGULAR_SINGULARS = new Set(IRREGULAR_PLURALS.values());

/** `singular` written as `word` is: `MEN` -> `MAN`, `Men` -> `Man`. */
function inCaseOf(word: string, singular: string): string {
  return word === word.toUpperCase() ? singular.toUpperCase() : capitalize(singular);
}

/** The last word of a PascalCase name: `FavoriteMovies` -> `Movies`, `MOVIES` -> `MOVIES`. */
function lastWord(name: string): string {
  return /[A-Z]?[a-z0-9]+$|[A-Z]+$/.exec(name)?.[0] ?? name;
}

/**
 * `orders` -> `Order`, `categories` -> `Category`, `movies` -> `Movie`, `dishes` -> `Dish`,
 * `series` -> `Series`, `status` -> `Status`, `alias` -> `Alias`, `people` -> `Person`, `menus` ->
 * `Menu`. Only the last word is singularised (`favorite_movies` -> `FavoriteMovie`); other words
 * ending in "ss" or "us" stay as they are.
 */
export function tableTypeName(table: string): string {
  const base = pascalCase(table);
  const last = lastWord(base);
  const word = last.toLowerCase();
  if (SINGULAR_AS_IS.has(word) || IRREGULAR_SINGULARS.has(word)) return base;
  const irregular = IRREGULAR_PLURALS.get(word);
  if (irregular !== undefined) return `${base.slice(0, -last.length)}${inCaseOf(last, irregular)}`;
  if (word.endsWith("ies") && IE_WORDS.has(word.slice(0, -1))) return base.slice(0, -1);
  if (word.endsWith("us") && U_WORDS.has(word.slice(0, -1))) return base.slice(0, -1);
  if (base.endsWith("ies") && base.length > 3) return `${base.slice(0, -3)}y`;
  if (sibilantPlural(word)) return base.slice(0, -2);
  if (base.endsWith("s") && !base.endsWith("ss") && !base.endsWith("us") && base.length > 1)
    return base.slice(0, -1);
  return base;
}
