/**
 * Convex argument validators as GraphQL input types: the same scalars and enums as outputs,
 * `v.object` -> an input type (`<Field><Arg>Input`, identical shapes shared), `v.optional` ->
 * nullable; what GraphQL cannot type (records, unions of objects or of different kinds,
 * non-GraphQL keys) -> JSON, recorded with its reason (fallbacks.ts). A function without an args
 * validator takes one `args: JSON` (what it declared: any value), not recorded.
 */
import {
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  type GraphQLFieldConfigArgumentMap,
  type GraphQLInputType,
} from "graphql";
import type { ValidatorJSON } from "convex/values";
import type { Site } from "./fallbacks.ts";
import { JsonScalar } from "./scalars.ts";
import { fieldNamesProblem, isGraphQLName, pascalCase, takesWholeArgs } from "./names.ts";
import { stripNull, type ObjectValidator } from "./table_documents.ts";
import type { TypeNames } from "./type_names.ts";

export class InputTypes {
  private readonly inputTypes = new Map<string, GraphQLInputObjectType>();

  constructor(private readonly names: TypeNames) {}

  /** The GraphQL input type of a validator at `site` (non-null unless it may be null or absent). */
  input(
    validator: ValidatorJSON,
    nameHint: string,
    site: Site,
    optional = false,
  ): GraphQLInputType {
    const { inner, nullable } = stripNull(validator);
    const type = this.nullableInput(inner, nameHint, site);
    // `v.any()` takes null too; any other required value (a union of objects, a record) may not.
    const takesNull = optional || nullable || inner.type === "any";
    return takesNull ? type : new GraphQLNonNull(type);
  }

  private nullableInput(
    validator: ValidatorJSON,
    nameHint: string,
    site: Site,
  ): Exclude<GraphQLInputType, GraphQLNonNull<never>> {
    const leaf = this.names.leafType(validator, nameHint, site);
    if (leaf !== null) return leaf;
    switch (validator.type) {
      case "array":
        return new GraphQLList(this.input(validator.value, nameHint, site.at("[]")));
      case "object":
        return this.objectInput(validator, nameHint, site);
      case "union":
        site.fallback("JSON", "a union of objects: GraphQL has no input unions");
        return JsonScalar;
      default:
        return JsonScalar;
    }
  }

  private objectInput(
    validator: ObjectValidator,
    nameHint: string,
    site: Site,
  ): GraphQLInputObjectType | typeof JsonScalar {
    const problem = fieldNamesProblem(Object.keys(validator.value));
    if (problem !== null) {
      site.fallback("JSON", problem);
      return JsonScalar;
    }
    const signature = JSON.stringify(validator);
    const cached = this.inputTypes.get(signature);
    if (cached !== undefined) return cached;
    const name = this.names.unique(`${nameHint}Input`);
    const base = name.replace(/Input$/, "");
    const type = new GraphQLInputObjectType({
      name,
      fields: () => this.fields(validator, base, site),
    });
    this.inputTypes.set(signature, type);
    return type;
  }

  private fields(
    validator: ObjectValidator,
    nameHint: string,
    site: Site,
  ): GraphQLFieldConfigArgumentMap {
    return Object.fromEntries(
      Object.entries(validator.value).map(([key, spec]) => [
        key,
        {
          type: this.input(
            spec.fieldType,
            `${nameHint}${pascalCase(key)}`,
            site.at(`.${key}`),
            spec.optional,
          ),
        },
      ]),
    );
  }

  /**
   * Field arguments from an args validator found at `site`: the object's fields, or one
   * `args: JSON` argument.
   */
  args(validator: ValidatorJSON, nameHint: string, site: Site): GraphQLFieldConfigArgumentMap {
    if (validator.type !== "object") {
      return {
        args: {
          type: JsonScalar,
          description: "The function's arguments object (it declares no args validator).",
        },
      };
    }
    if (takesWholeArgs(validator)) {
      const bad = Object.keys(validator.value).find((key) => !isGraphQLName(key));
      site.fallback("JSON", `the argument name \`${bad}\` is not a GraphQL name`);
      return {
        args: { type: JsonScalar, description: "The function's arguments object." },
      };
    }
    return this.fields(validator, nameHint, site);
  }
}
