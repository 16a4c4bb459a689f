/**
 * A strict reader of the SVG that Vega writes, for tests: elements with quoted attributes, text,
 * and nothing else (no comments, CDATA or processing instructions, which Vega does not emit).
 * It throws on anything not well-formed: a stray `<`, a close tag that does not match the open
 * one, an unclosed element, or more than one root.
 */

export interface SvgElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: SvgElement[];
  /** The element's own text (not its descendants'), entities decoded. */
  text: string;
}

const TOKEN = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/y;
const ATTRIBUTE = /([\w:.-]+)="([^"]*)"/g;
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#\d+|[a-z]+);/g, (whole, name: string) =>
    name.startsWith("#") ? String.fromCodePoint(Number(name.slice(1))) : (ENTITIES[name] ?? whole),
  );
}

/** Parses `source`; throws an Error naming the offset of the first fault. */
export function parseSvg(source: string): SvgElement {
  const stack: SvgElement[] = [];
  const roots: SvgElement[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < source.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(source);
    if (match === null) throw new Error(`not well-formed at offset ${at}`);
    const [, closing, name, attributeText, selfClosing, text] = match;
    const parent = stack.at(-1);
    if (text !== undefined) {
      if (parent === undefined) {
        if (text.trim() !== "") throw new Error(`text outside the root at offset ${at}`);
      } else parent.text += decode(text);
    } else if (closing === "/") {
      if (parent?.name !== name) throw new Error(`</${name}> closes <${parent?.name}> at ${at}`);
      stack.pop();
    } else {
      const attributes = new Map(
        [...(attributeText ?? "").matchAll(ATTRIBUTE)].map(([, key, value]) => [
          key as string,
          decode(value as string),
        ]),
      );
      const element: SvgElement = { name: name as string, attributes, children: [], text: "" };
      (parent?.children ?? roots).push(element);
      if (selfClosing !== "/") stack.push(element);
    }
  }
  if (stack.length > 0) throw new Error(`<${stack.at(-1)?.name}> is never closed`);
  if (roots.length !== 1 || roots[0]?.name !== "svg") throw new Error("expected one <svg> root");
  return roots[0];
}

/** Every element of the tree, depth first. */
export function allElements(root: SvgElement): SvgElement[] {
  return [root, ...root.children.flatMap(allElements)];
}
