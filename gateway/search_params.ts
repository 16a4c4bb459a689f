/**
 * GraphQL over GET (and form-encoded POST) carries `variables` and `extensions` as JSON text in
 * URL parameters. Yoga parses them with a bare `JSON.parse`, so a malformed one (`variables=%7B`)
 * was answered 500 with the parser's words. This plugin answers 400 instead, naming the
 * parameter, as Yoga already does for a POST body that is not JSON.
 */
import { createGraphQLError, type Plugin } from "graphql-yoga";

const JSON_PARAMETERS = ["variables", "extensions"] as const;

/** The JSON parameter of `url` that does not parse, with the parser's reason, if any. */
function malformedParameter(url: URL): { name: string; reason: string } | null {
  for (const name of JSON_PARAMETERS) {
    const text = url.searchParams.get(name);
    if (text === null || text === "") continue;
    try {
      JSON.parse(text);
    } catch (error) {
      return { name, reason: error instanceof Error ? error.message : String(error) };
    }
  }
  return null;
}

function badParameter(what: string, reason: string): Error {
  return createGraphQLError(`The ${what} is not valid JSON: ${reason}`, {
    extensions: { http: { status: 400 } },
  });
}

/** Wraps Yoga's parser of URL parameters so that malformed JSON in them is a 400. */
export function searchParamsPlugin(): Plugin {
  return {
    onRequestParse({ request, url, requestParser, setRequestParser }) {
      if (requestParser === undefined) return;
      if (request.method === "GET") {
        const malformed = malformedParameter(url);
        if (malformed !== null)
          throw badParameter(`"${malformed.name}" parameter`, malformed.reason);
        return;
      }
      // A form-encoded POST: its body is read by the parser, so its failure is caught there.
      setRequestParser(async (incoming: Request) => {
        try {
          return await requestParser(incoming);
        } catch (error) {
          if (!(error instanceof SyntaxError)) throw error;
          throw badParameter(`"variables" or "extensions" form field`, error.message);
        }
      });
    },
  };
}
