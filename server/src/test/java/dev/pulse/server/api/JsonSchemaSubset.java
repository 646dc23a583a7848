package dev.pulse.server.api;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a JSON value against a schema written in the subset of JSON Schema 2020-12 that
 * {@code openapi.json} uses: {@code $ref} (within the same document), {@code type}, {@code enum},
 * {@code required}, {@code properties}, {@code additionalProperties}, {@code items},
 * {@code allOf}, {@code oneOf}, {@code minimum}, {@code maximum}, {@code minLength},
 * {@code maxLength}, {@code minItems}, {@code maxItems} and {@code pattern}; {@code description},
 * {@code default} and {@code examples} are notes. Any other keyword is refused, so that the
 * description cannot say something this checker would pass over in silence.
 */
final class JsonSchemaSubset {

    private static final Set<String> NOTES = Set.of("description", "title", "default", "examples");
    private static final Set<String> CHECKED = Set.of("$ref", "type", "enum", "required", "properties",
            "additionalProperties", "items", "allOf", "oneOf", "minimum", "maximum", "minLength", "maxLength",
            "minItems", "maxItems", "pattern");

    private final JsonNode document;

    /** @param document where {@code $ref}s such as {@code #/components/schemas/Error} point */
    JsonSchemaSubset(JsonNode document) {
        this.document = document;
    }

    /** What is wrong with {@code value} by {@code schema}, one line each, with its place; empty when it conforms. */
    List<String> problems(JsonNode schema, JsonNode value) {
        List<String> problems = new ArrayList<>();
        check(schema, value, "$", problems);
        return problems;
    }

    /** The node a local reference ({@code #/a/b}) points at. */
    JsonNode resolve(String ref) {
        if (!ref.startsWith("#/")) {
            throw new IllegalArgumentException("only references within the document are followed: " + ref);
        }
        JsonNode target = document.at(ref.substring(1));
        if (target.isMissingNode()) {
            throw new IllegalArgumentException("a reference to nothing: " + ref);
        }
        return target;
    }

    private void check(JsonNode schema, JsonNode value, String at, List<String> problems) {
        if (schema.isBoolean()) {
            if (!schema.booleanValue()) {
                problems.add(at + ": nothing is allowed here");
            }
            return;
        }
        for (Iterator<String> names = schema.fieldNames(); names.hasNext(); ) {
            String keyword = names.next();
            if (!CHECKED.contains(keyword) && !NOTES.contains(keyword)) {
                throw new IllegalArgumentException("the schema at " + at + " uses " + keyword
                        + ", which this checker does not check: teach it, or leave the keyword out");
            }
        }
        if (schema.has("$ref")) {
            check(resolve(schema.get("$ref").asText()), value, at, problems);
        }
        if (schema.has("type") && !hasType(schema.get("type"), value)) {
            problems.add(at + ": " + kind(value) + " where the schema wants " + schema.get("type"));
            return;
        }
        if (schema.has("enum") && !contains(schema.get("enum"), value)) {
            problems.add(at + ": " + value + " is none of " + schema.get("enum"));
        }
        if (schema.has("allOf")) {
            for (JsonNode each : schema.get("allOf")) {
                check(each, value, at, problems);
            }
        }
        if (schema.has("oneOf")) {
            int matching = 0;
            for (JsonNode each : schema.get("oneOf")) {
                matching += problems(each, value).isEmpty() ? 1 : 0;
            }
            if (matching != 1) {
                problems.add(at + ": matches " + matching + " of oneOf " + schema.get("oneOf") + ", not exactly one");
            }
        }
        if (value.isNumber()) {
            if (schema.has("minimum") && value.decimalValue().compareTo(schema.get("minimum").decimalValue()) < 0) {
                problems.add(at + ": " + value + " is under the minimum " + schema.get("minimum"));
            }
            if (schema.has("maximum") && value.decimalValue().compareTo(schema.get("maximum").decimalValue()) > 0) {
                problems.add(at + ": " + value + " is over the maximum " + schema.get("maximum"));
            }
        }
        if (value.isTextual()) {
            int length = value.textValue().codePointCount(0, value.textValue().length());
            if (schema.has("minLength") && length < schema.get("minLength").asInt()) {
                problems.add(at + ": shorter than " + schema.get("minLength"));
            }
            if (schema.has("maxLength") && length > schema.get("maxLength").asInt()) {
                problems.add(at + ": longer than " + schema.get("maxLength"));
            }
            // As JSON Schema has it: found anywhere in the string, unless the pattern anchors itself.
            if (schema.has("pattern") && !Pattern.compile(schema.get("pattern").asText()).matcher(value.textValue()).find()) {
                problems.add(at + ": " + value + " does not match " + schema.get("pattern").asText());
            }
        }
        if (value.isArray()) {
            if (schema.has("minItems") && value.size() < schema.get("minItems").asInt()) {
                problems.add(at + ": fewer than " + schema.get("minItems") + " items");
            }
            if (schema.has("maxItems") && value.size() > schema.get("maxItems").asInt()) {
                problems.add(at + ": more than " + schema.get("maxItems") + " items");
            }
            if (schema.has("items")) {
                for (int i = 0; i < value.size(); i++) {
                    check(schema.get("items"), value.get(i), at + "[" + i + "]", problems);
                }
            }
        }
        if (value.isObject()) {
            checkObject(schema, value, at, problems);
        }
    }

    private void checkObject(JsonNode schema, JsonNode value, String at, List<String> problems) {
        if (schema.has("required")) {
            for (JsonNode name : schema.get("required")) {
                if (!value.has(name.asText())) {
                    problems.add(at + ": " + name.asText() + " is missing");
                }
            }
        }
        JsonNode properties = schema.path("properties");
        for (Iterator<Map.Entry<String, JsonNode>> fields = value.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            String place = at + "." + field.getKey();
            if (properties.has(field.getKey())) {
                check(properties.get(field.getKey()), field.getValue(), place, problems);
            } else if (schema.has("additionalProperties")) {
                JsonNode additional = schema.get("additionalProperties");
                if (additional.isBoolean() && !additional.booleanValue()) {
                    problems.add(place + ": a field the schema does not name");
                } else {
                    check(additional, field.getValue(), place, problems);
                }
            }
        }
    }

    private static boolean hasType(JsonNode type, JsonNode value) {
        if (type.isArray()) {
            for (JsonNode one : type) {
                if (hasType(one, value)) {
                    return true;
                }
            }
            return false;
        }
        return switch (type.asText()) {
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "string" -> value.isTextual();
            case "boolean" -> value.isBoolean();
            case "null" -> value.isNull();
            case "number" -> value.isNumber();
            // 2020-12: a number with a zero fraction is an integer too.
            case "integer" -> value.isIntegralNumber()
                    || (value.isNumber() && value.decimalValue().stripTrailingZeros().scale() <= 0);
            default -> throw new IllegalArgumentException("no such type: " + type);
        };
    }

    private static boolean contains(JsonNode list, JsonNode value) {
        for (JsonNode one : list) {
            if (one.equals(value)) {
                return true;
            }
        }
        return false;
    }

    private static String kind(JsonNode value) {
        return value.isIntegralNumber() ? "an integer" : value.isNumber() ? "a number" : value.isTextual() ? "a string"
                : value.isBoolean() ? "a boolean" : value.isNull() ? "null" : value.isArray() ? "an array" : "an object";
    }
}
