import Testing
@testable import RapportStore

@Suite struct SQLScriptTests {
    @Test func splitsOnSemicolonsOutsideQuotesAndComments() {
        let sql = """
            -- a comment; with a semicolon
            CREATE TABLE a (x text DEFAULT ';');
            /* block; /* nested; */ still comment; */
            CREATE FUNCTION f() RETURNS text AS $$ SELECT 'a;b' $$ LANGUAGE sql;
            CREATE FUNCTION g() RETURNS text AS $body$ SELECT $$;$$ $body$ LANGUAGE sql;
            SELECT "we;ird", E'it\\'s;', 'it''s;';
            -- trailing comment only;
            """
        let statements = SQLScript.statements(in: sql)
        #expect(statements.count == 4)
        #expect(statements[0] == "-- a comment; with a semicolon\nCREATE TABLE a (x text DEFAULT ';')")
        #expect(statements[1].hasSuffix("AS $$ SELECT 'a;b' $$ LANGUAGE sql"))
        #expect(statements[2].hasSuffix("$body$ SELECT $$;$$ $body$ LANGUAGE sql"))
        #expect(statements[3] == "SELECT \"we;ird\", E'it\\'s;', 'it''s;'")
    }

    @Test func emptyAndCommentOnlyScriptsHaveNoStatements() {
        #expect(SQLScript.statements(in: "").isEmpty)
        #expect(SQLScript.statements(in: "-- nothing\n/* here */ ;;\n").isEmpty)
    }

    @Test func dollarInsideIdentifierIsNotAQuote() {
        #expect(SQLScript.statements(in: "SELECT a$1 FROM t; SELECT 2") == ["SELECT a$1 FROM t", "SELECT 2"])
    }
}
