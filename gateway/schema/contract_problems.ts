/**
 * What a contract the gateway cannot honour is refused with: every problem found, each naming
 * the file, the line, the field and why, in one error (code `CONTRACT_INVALID`) thrown at start.
 */
import type { ASTNode } from "graphql";

export interface ContractProblem {
  /** 1-based line in the contract file, when known. */
  readonly line: number | null;
  /** `Type.field`, `Type.field(arg)`, or "" for the document as a whole. */
  readonly where: string;
  readonly why: string;
}

export class ContractError extends Error {
  readonly code = "CONTRACT_INVALID";

  constructor(
    readonly file: string,
    readonly problems: readonly ContractProblem[],
  ) {
    super(
      [
        `${file}: the GraphQL contract cannot be served:`,
        ...problems.map((problem) => `  ${formatProblem(file, problem)}`),
      ].join("\n"),
    );
    this.name = "ContractError";
  }
}

/** `schema.graphql:12: Query.foo: why`. */
export function formatProblem(file: string, problem: ContractProblem): string {
  const at = `${file}:${problem.line ?? "?"}`;
  return problem.where === "" ? `${at}: ${problem.why}` : `${at}: ${problem.where}: ${problem.why}`;
}

/** Collects the problems of one contract. */
export class Problems {
  private readonly list: ContractProblem[] = [];

  constructor(readonly file: string) {}

  /** A problem at `node` (the line of its name: a description may come before). */
  add(node: ASTNode | null | undefined, where: string, why: string): void {
    const named = node !== null && node !== undefined && "name" in node ? node.name : undefined;
    const loc = (named !== undefined && "loc" in named ? named.loc : undefined) ?? node?.loc;
    this.list.push({ line: loc?.startToken.line ?? null, where, why });
  }

  /** A problem at a known line. */
  addAt(line: number | undefined, where: string, why: string): void {
    this.list.push({ line: line ?? null, where, why });
  }

  get count(): number {
    return this.list.length;
  }

  all(): readonly ContractProblem[] {
    return [...this.list].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  }

  /** Throws the collected problems, if any. */
  throwIfAny(): void {
    if (this.list.length > 0) throw new ContractError(this.file, this.all());
  }
}
