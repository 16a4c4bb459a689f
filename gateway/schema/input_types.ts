/**
 * Convex argument validators as GraphQL input types: the same scalars and enums as outputs,
 * `v.object` -> an input type (`<Field><Arg>Input`, identical shapes shared), `v.optional` ->
 * nullable; what GraphQL cannot type (records, mixed unions, non-GraphQL keys) -> JSON.
 */
import {
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  type GraphQLFieldConfigArgumentMap,
  type GraphQLInputType,
} from "graphql";
import type { ValidatorJSON } from "convex/values";
import { JsonScalar } from "./scalars.ts";
import { isGraphQLName, pascalCase } from "./names.ts";
import { stripNull } from "./table_documents.ts";
import type { TypeNames } from "./type_names.ts";

export class InputTypes {
  private readonly inputTypes = new Map<string, GraphQLInputType>();

  constructor(private readonly names: TypeNames) {}

  /** The GraphQL input type of a validator (non-null unless optional or nullable). */
  input(validator: ValidatorJSON, nameHint: string, optional = false): GraphQLInputType {
    const { inner, nullable } = stripNull(validator);
    const type = this.nullableInput(inner, nameHint);
    return optional || nullable || type === JsonScalar ? type : new GraphQLNonNull(type);
  }

  private nullableInput(
    validator: ValidatorJSON,
    nameHint: string,
  ): Exclude<GraphQLInputType, GraphQLNonNull<never>> {
    const leaf = this.names.leafType(validator, nameHint);
    if (leaf !== null) return leaf;
    switch (validator.type) {
      case "array":
        return new GraphQLList(this.input(validator.value, nameHint));
      case "object": {
        const keys = Object.keys(validator.value);
        if (!keys.every(isGraphQLName) || keys.length === 0) return JsonScalar;
        const signature = JSON.stringify(validator);
        const cached = this.inputTypes.get(signature);
        if (cached !== undefined) return cached;
        const name = this.names.unique(`${nameHint}Input`);
        const base = name.replace(/Input$/, "");
        const type = new GraphQLInputObjectType({
          name,
          fields: () =>
            Object.fromEntries(
              Object.entries(validator.value).map(([key, spec]) => [
                key,
                { type: this.input(spec.fieldType, `${base}${pascalCase(key)}`, spec.optional) },
              ]),
            ),
        });
        this.inputTypes.set(signature, type);
        return type;
      }
      default:
        return JsonScalar;
    }
  }

  /** Field arguments from an args validator: the object's fields, or one `args: JSON` argument. */
  args(validator: ValidatorJSON, nameHint: string): GraphQLFieldConfigArgumentMap {
    if (validator.type === "object") {
      if (!Object.keys(validator.value).every(isGraphQLName)) return { args: { type: JsonScalar } };
      return Object.fromEntries(
        Object.entries(validator.value).map(([key, spec]) => [
          key,
          { type: this.input(spec.fieldType, `${nameHint}${pascalCase(key)}`, spec.optional) },
        ]),
      );
    }
    return {
      args: {
        type: JsonScalar,
        description: "The function's arguments object (it declares no args validator).",
      },
    };
  }
}
