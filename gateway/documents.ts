/**
 * How the gateway parses and validates GraphQL documents (a Yoga plugin, in place of Yoga's own
 * parser and validation cache):
 *
 *   text --scanSource--> parse (maxTokens) --checkOperationLimits--> graphql-js rules --> cache
 *
 * Every step is linear in the document's size and costs less than the attack it stops:
 * - the text is scanned first: bracket nesting and directives are bounded before graphql-js's
 *   recursive parser runs (source_scan.ts);
 * - the parser stops after `maxTokens` tokens;
 * - the operation limits (depth, cost, fragments) run before graphql-js's own rules, some of
 *   which are quadratic or recurse through fragments, and a document beyond them goes no further;
 * - only documents that validated are cached, keyed by their text, in a cache bounded by the
 *   estimated bytes of their syntax trees (a refused document is never kept).
 */
import {
  parse,
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  type ParseOptions,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import { ByteLru } from "./byte_lru.ts";
import { checkOperationLimits, DEFAULT_OPERATION_LIMITS, type OperationLimits } from "./limits.ts";
import { DEFAULT_SOURCE_LIMITS, scanSource, type SourceLimits } from "./source_scan.ts";

export interface DocumentOptions {
  /** Most tokens in one document (graphql-js's `maxTokens`). @default 15_000 */
  readonly maxTokens: number;
  readonly source: SourceLimits;
  readonly operations: OperationLimits;
  /** Estimated bytes of parsed documents kept for reuse. @default 64 MiB */
  readonly cacheBytes: number;
}

export const DEFAULT_DOCUMENT_OPTIONS: DocumentOptions = {
  maxTokens: DEFAULT_SOURCE_LIMITS.maxTokens,
  source: DEFAULT_SOURCE_LIMITS,
  operations: DEFAULT_OPERATION_LIMITS,
  cacheBytes: 64 * 1024 * 1024,
};

/**
 * Heap a parsed document holds, per token and per character of its text (measured with
 * graphql 16: 120-500 bytes per token, locations and the token list included).
 */
const BYTES_PER_TOKEN = 512;
const BYTES_PER_CHAR = 2;

/** A parsed document and the schemas it is known to be valid for. */
interface ParsedDocument {
  readonly document: DocumentNode;
  readonly source: string;
  readonly bytes: number;
  readonly validFor: WeakSet<GraphQLSchema>;
}

/** The plugin, and its cache (for tests and metrics). */
export interface DocumentsPlugin {
  readonly plugin: Plugin;
  readonly cache: ByteLru<string, ParsedDocument>;
}

/** Parses `source` within the limits (throws a GraphQLError beyond them). */
export function guardedParse(
  source: string,
  options: DocumentOptions = DEFAULT_DOCUMENT_OPTIONS,
  parseOptions?: ParseOptions,
): { document: DocumentNode; tokens: number } {
  const { tokens } = scanSource(source, { ...options.source, maxTokens: options.maxTokens });
  const document = parse(source, { ...parseOptions, maxTokens: options.maxTokens });
  return { document, tokens };
}

export function documentsPlugin(
  options: DocumentOptions = DEFAULT_DOCUMENT_OPTIONS,
): DocumentsPlugin {
  const cache = new ByteLru<string, ParsedDocument>(options.cacheBytes);
  /** Documents parsed and not (yet) cached: weak, so a refused one is collected with its request. */
  const parsed = new WeakMap<DocumentNode, ParsedDocument>();

  const plugin: Plugin = {
    onParse({ params, setParsedDocument, setParseFn }) {
      const source = String((params as { source: unknown }).source);
      const cached = cache.get(source);
      if (cached !== undefined) {
        setParsedDocument(cached.document);
        return;
      }
      setParseFn((_source: unknown, parseOptions?: ParseOptions) => {
        const { document, tokens } = guardedParse(source, options, parseOptions);
        const bytes = tokens * BYTES_PER_TOKEN + source.length * BYTES_PER_CHAR;
        parsed.set(document, { document, source, bytes, validFor: new WeakSet() });
        return document;
      });
    },
    onValidate({ params, setResult }) {
      const { schema, documentAST } = params as {
        schema: GraphQLSchema;
        documentAST: DocumentNode;
      };
      const entry = parsed.get(documentAST);
      if (entry?.validFor.has(schema) === true) {
        setResult([]);
        return;
      }
      const refusals: GraphQLError[] = checkOperationLimits(documentAST, options.operations);
      if (refusals.length > 0) {
        setResult(refusals);
        return;
      }
      return ({ valid }) => {
        if (!valid || entry === undefined) return;
        entry.validFor.add(schema);
        cache.set(entry.source, entry, entry.bytes);
      };
    },
  };
  return { plugin, cache };
}
