package dev.pulse.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The checker {@code OpenApiTest} relies on finds what each keyword it knows forbids, and refuses keywords it does not know. */
class JsonSchemaSubsetTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text.replace('\'', '"'));
    }

    private static final String DOCUMENT = "{'components':{'schemas':{"
            + "'Name':{'type':'string','pattern':'^[a-z]{1,3}$'},"
            + "'Thing':{'type':'object','required':['name','count'],'additionalProperties':false,'properties':{"
            + "'name':{'$ref':'#/components/schemas/Name'},"
            + "'count':{'type':'integer','minimum':0,'maximum':9},"
            + "'kind':{'type':'string','enum':['a','b']},"
            + "'tags':{'type':'array','minItems':1,'maxItems':2,'items':{'type':'string','minLength':1,'maxLength':2}},"
            + "'text':{'type':'string'},'data':{'description':'anything'}},"
            + "'oneOf':[{'required':['text']},{'required':['data']}]},"
            + "'Narrowed':{'allOf':[{'$ref':'#/components/schemas/Thing'},{'properties':{'kind':{'enum':['a']}}}]}}}}";

    private static List<String> problems(String schema, String value) throws Exception {
        JsonNode document = json(DOCUMENT);
        return new JsonSchemaSubset(document).problems(document.at("/components/schemas/" + schema), json(value));
    }

    @Test
    void aConformingValueHasNoProblem() throws Exception {
        assertEquals(List.of(), problems("Thing", "{'name':'abc','count':3,'kind':'b','tags':['x'],'text':'t'}"));
        assertEquals(List.of(), problems("Narrowed", "{'name':'a','count':3.0,'kind':'a','data':null}"));
    }

    @Test
    void eachKeywordFindsWhatItForbids() throws Exception {
        for (String value : List.of(
                "[]",                                              // type
                "{'count':1,'text':'t'}",                          // required
                "{'name':'a','count':1,'text':'t','extra':1}",     // additionalProperties
                "{'name':'abcd','count':1,'text':'t'}",            // pattern, through $ref
                "{'name':'a','count':10,'text':'t'}",              // maximum
                "{'name':'a','count':-1,'text':'t'}",              // minimum
                "{'name':'a','count':1.5,'text':'t'}",             // integer
                "{'name':'a','count':1,'kind':'c','text':'t'}",    // enum
                "{'name':'a','count':1,'tags':[],'text':'t'}",     // minItems
                "{'name':'a','count':1,'tags':['a','b','c'],'text':'t'}", // maxItems
                "{'name':'a','count':1,'tags':['abc'],'text':'t'}", // items, maxLength
                "{'name':'a','count':1,'tags':[''],'text':'t'}",   // items, minLength
                "{'name':'a','count':1}",                          // oneOf: none
                "{'name':'a','count':1,'text':'t','data':1}")) {   // oneOf: both
            assertEquals(1, problems("Thing", value).size(), value + ": " + problems("Thing", value));
        }
        List<String> narrowed = problems("Narrowed", "{'name':'a','count':1,'kind':'b','text':'t'}");
        assertTrue(narrowed.size() == 1 && narrowed.get(0).contains("kind"), narrowed.toString());
    }

    @Test
    void aKeywordItDoesNotCheckIsRefusedNotPassedOver() throws Exception {
        JsonNode schema = json("{'type':'string','format':'email'}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new JsonSchemaSubset(schema).problems(schema, json("'not an address'")));
        assertTrue(e.getMessage().contains("format"), e.getMessage());
    }
}
