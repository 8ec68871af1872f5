//! A reader for GraphQL SDL (the type system part of the GraphQL grammar, October 2021 spec):
//! just what the schema model needs, with input limits.
//!
//! Written for the wasm module's size: a general GraphQL parser (syntax tree, error recovery,
//! executable documents) was a seventh of the core module, and the library only needs the
//! type definitions of a schema. Everything in the type system grammar is read and checked
//! (descriptions, directives, default values of any shape, extensions, directive definitions);
//! what the model does not use is skipped after it is read. Executable definitions (a query
//! pasted into a schema) are skipped as balanced blocks. The first syntax error ends the read,
//! with its byte position.


/// A field's or argument's type, reduced to its innermost named type and its wrappers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeRef {
    pub name: String,
    /// Some list wrapper is present (`[T]`, `[T!]!`, …).
    pub list: bool,
    /// The outermost wrapper is non-null.
    pub non_null: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InputValue {
    pub name: String,
    pub ty: TypeRef,
    pub has_default: bool,
}

impl InputValue {
    pub(crate) fn is_required(&self) -> bool {
        self.ty.non_null && !self.has_default
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldDef {
    pub name: String,
    pub ty: TypeRef,
    pub args: Vec<InputValue>,
}

/// Tokens read from one text at most (a CPR schema has a few thousand).
const TOKEN_LIMIT: usize = 1_000_000;
/// Nesting of types and values at most.
const DEPTH_LIMIT: usize = 64;

/// Names that start a definition.
const DEFINITION_KEYWORDS: [&str; 13] =
    ["schema", "scalar", "type", "interface", "union", "enum", "input", "directive", "extend", "query", "mutation", "subscription", "fragment"];

/// What a schema defines, as the model reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Definition {
    /// `schema { query: X }` (or its extension): the query type's name.
    QueryType(String),
    /// `type` and `interface` definitions and extensions.
    Object(String, Vec<FieldDef>),
    /// `input` definitions and extensions.
    Input(String, Vec<InputValue>),
    /// `scalar` and `enum`.
    Leaf(String),
    Union(String),
}

/// A syntax error or an exceeded limit, at a byte position of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SdlError {
    pub message: String,
    pub index: usize,
    pub limit: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Punct(u8),
    /// `...`
    Spread,
    Name(&'a str),
    /// Numbers and strings: their text is not needed.
    Value,
    End,
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// The current token and where it starts.
    token: Token<'a>,
    start: usize,
    tokens: usize,
    depth: usize,
}

type Read<T> = Result<T, SdlError>;

/// Read the definitions of SDL text.
pub(crate) fn parse(text: &str) -> Read<Vec<Definition>> {
    let mut p = Parser { text, pos: 0, token: Token::End, start: 0, tokens: 0, depth: 0 };
    p.advance()?;
    let mut definitions = Vec::new();
    while p.token != Token::End {
        p.definition(&mut definitions)?;
    }
    Ok(definitions)
}

fn is_name_start(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphabetic()
}

fn is_name_continue(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphanumeric()
}

impl<'a> Parser<'a> {
    fn error<T>(&self, message: impl Into<String>) -> Read<T> {
        Err(SdlError { message: message.into(), index: self.start, limit: false })
    }

    fn limit<T>(&self, message: &str) -> Read<T> {
        Err(SdlError { message: message.to_string(), index: self.start, limit: true })
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.text.as_bytes().get(at).copied()
    }

    // ---- lexer ----------------------------------------------------------------------------

    /// Move to the next token, skipping whitespace, commas, comments and a byte order mark.
    fn advance(&mut self) -> Read<()> {
        loop {
            match self.byte(self.pos) {
                Some(b' ' | b'\t' | b'\n' | b'\r' | b',') => self.pos += 1,
                Some(b'#') => {
                    while !matches!(self.byte(self.pos), None | Some(b'\n' | b'\r')) {
                        self.pos += 1;
                    }
                }
                Some(0xEF) if self.text.get(self.pos..self.pos + 3) == Some("\u{FEFF}") => self.pos += 3,
                _ => break,
            }
        }
        self.start = self.pos;
        self.tokens += 1;
        if self.tokens > TOKEN_LIMIT {
            return self.limit("too many tokens");
        }
        let Some(b) = self.byte(self.pos) else {
            self.token = Token::End;
            return Ok(());
        };
        self.token = match b {
            b'!' | b'$' | b'&' | b'(' | b')' | b':' | b'=' | b'@' | b'[' | b']' | b'{' | b'|' | b'}' => {
                self.pos += 1;
                Token::Punct(b)
            }
            b'.' if self.text.get(self.pos..self.pos + 3) == Some("...") => {
                self.pos += 3;
                Token::Spread
            }
            b if is_name_start(b) => {
                let end = self.text.as_bytes()[self.pos..].iter().position(|&c| !is_name_continue(c)).map_or(self.text.len(), |n| self.pos + n);
                let name = self.text.get(self.pos..end).unwrap_or("");
                self.pos = end;
                Token::Name(name)
            }
            b'-' | b'0'..=b'9' => {
                self.number()?;
                Token::Value
            }
            b'"' => {
                self.string()?;
                Token::Value
            }
            _ => return self.error(format!("unexpected character {}", describe_char(self.text.get(self.pos..).and_then(|t| t.chars().next())))),
        };
        Ok(())
    }

    fn digits(&mut self) -> usize {
        let from = self.pos;
        while self.byte(self.pos).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - from
    }

    fn number(&mut self) -> Read<()> {
        if self.byte(self.pos) == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        if self.digits() == 0 {
            return self.error("expected a digit");
        }
        if self.byte(int_start) == Some(b'0') && self.pos - int_start > 1 {
            return self.error("a number may not start with 0");
        }
        if self.byte(self.pos) == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return self.error("expected a digit after the decimal point");
            }
        }
        if matches!(self.byte(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.byte(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return self.error("expected a digit in the exponent");
            }
        }
        if self.byte(self.pos).is_some_and(|b| b == b'.' || is_name_start(b)) {
            return self.error("a number must not be followed by a name or a point");
        }
        Ok(())
    }

    fn string(&mut self) -> Read<()> {
        if self.text.get(self.pos..self.pos + 3) == Some("\"\"\"") {
            // A block string: anything up to the closing quotes; `\"""` is an escaped quote.
            self.pos += 3;
            loop {
                match self.byte(self.pos) {
                    None => return self.error("unterminated block string"),
                    Some(b'\\') if self.text.get(self.pos + 1..self.pos + 4) == Some("\"\"\"") => self.pos += 4,
                    Some(b'"') if self.text.get(self.pos..self.pos + 3) == Some("\"\"\"") => {
                        self.pos += 3;
                        return Ok(());
                    }
                    Some(_) => self.pos += 1,
                }
            }
        }
        self.pos += 1;
        loop {
            match self.byte(self.pos) {
                None | Some(b'\n' | b'\r') => return self.error("unterminated string"),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.byte(self.pos) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.pos += 1,
                        Some(b'u') => {
                            self.pos += 1;
                            if self.byte(self.pos) == Some(b'{') {
                                let end = self.text.get(self.pos..).and_then(|t| t.find('}')).map(|n| self.pos + n);
                                let hex = end.and_then(|e| self.text.get(self.pos + 1..e)).unwrap_or("");
                                if hex.is_empty() || hex.len() > 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                                    return self.error("invalid unicode escape");
                                }
                                self.pos += hex.len() + 2;
                            } else {
                                let hex = self.text.get(self.pos..self.pos + 4).unwrap_or("");
                                if hex.len() != 4 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                                    return self.error("invalid unicode escape");
                                }
                                self.pos += 4;
                            }
                        }
                        _ => return self.error("invalid escape in a string"),
                    }
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    // ---- helpers ----------------------------------------------------------------------------

    fn at(&self, punct: u8) -> bool {
        self.token == Token::Punct(punct)
    }

    fn at_name(&self, keyword: &str) -> bool {
        self.token == Token::Name(keyword)
    }

    /// Consume a punctuator if it is the current token.
    fn eat(&mut self, punct: u8) -> Read<bool> {
        if self.at(punct) {
            self.advance()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn expect(&mut self, punct: u8) -> Read<()> {
        if self.eat(punct)? {
            return Ok(());
        }
        self.error(format!("expected {}", char::from(punct)))
    }

    fn name(&mut self) -> Read<String> {
        match self.token {
            Token::Name(name) => {
                let name = name.to_string();
                self.advance()?;
                Ok(name)
            }
            _ => self.error("expected a name"),
        }
    }

    fn keyword(&mut self, keyword: &str) -> Read<()> {
        if self.at_name(keyword) {
            return self.advance();
        }
        self.error(format!("expected {keyword}"))
    }

    fn enter(&mut self) -> Read<()> {
        self.depth += 1;
        if self.depth > DEPTH_LIMIT {
            return self.limit("nested too deeply");
        }
        Ok(())
    }

    // ---- grammar ----------------------------------------------------------------------------

    fn description(&mut self) -> Read<()> {
        if self.token == Token::Value && self.byte(self.start) == Some(b'"') {
            self.advance()?;
        }
        Ok(())
    }

    fn definition(&mut self, out: &mut Vec<Definition>) -> Read<()> {
        self.description()?;
        let extension = self.at_name("extend");
        if extension {
            self.advance()?;
        }
        let Token::Name(keyword) = self.token else {
            if self.at(b'{') && !extension {
                // An anonymous query: not part of a schema, read and left out.
                return self.skip_block();
            }
            return self.error("expected a definition");
        };
        match keyword {
            "schema" => {
                self.advance()?;
                self.directives()?;
                if self.eat(b'{')? {
                    while !self.eat(b'}')? {
                        let operation = self.name()?;
                        self.expect(b':')?;
                        let ty = self.name()?;
                        if operation == "query" {
                            out.push(Definition::QueryType(ty));
                        }
                    }
                } else if !extension {
                    return self.error("expected {");
                }
            }
            "scalar" => {
                self.advance()?;
                let name = self.name()?;
                self.directives()?;
                out.push(Definition::Leaf(name));
            }
            "type" | "interface" => {
                self.advance()?;
                let name = self.name()?;
                if self.at_name("implements") {
                    self.advance()?;
                    self.eat(b'&')?;
                    self.name()?;
                    // `A & B`, or the older `A, B` (commas are ignored): a bare name continues
                    // the list unless it starts the next definition.
                    while self.eat(b'&')? || matches!(self.token, Token::Name(n) if !DEFINITION_KEYWORDS.contains(&n)) {
                        self.name()?;
                    }
                }
                self.directives()?;
                let fields = if self.at(b'{') { self.fields()? } else { Vec::new() };
                out.push(Definition::Object(name, fields));
            }
            "union" => {
                self.advance()?;
                let name = self.name()?;
                self.directives()?;
                if self.eat(b'=')? {
                    self.eat(b'|')?;
                    self.name()?;
                    while self.eat(b'|')? {
                        self.name()?;
                    }
                }
                out.push(Definition::Union(name));
            }
            "enum" => {
                self.advance()?;
                let name = self.name()?;
                self.directives()?;
                if self.eat(b'{')? {
                    while !self.eat(b'}')? {
                        self.description()?;
                        self.name()?;
                        self.directives()?;
                    }
                }
                out.push(Definition::Leaf(name));
            }
            "input" => {
                self.advance()?;
                let name = self.name()?;
                self.directives()?;
                let mut fields = Vec::new();
                if self.eat(b'{')? {
                    while !self.eat(b'}')? {
                        fields.push(self.input_value()?);
                    }
                }
                out.push(Definition::Input(name, fields));
            }
            "directive" if !extension => {
                self.advance()?;
                self.expect(b'@')?;
                self.name()?;
                if self.at(b'(') {
                    self.arguments_definition()?;
                }
                if self.at_name("repeatable") {
                    self.advance()?;
                }
                self.keyword("on")?;
                self.eat(b'|')?;
                self.name()?;
                while self.eat(b'|')? {
                    self.name()?;
                }
            }
            "query" | "mutation" | "subscription" | "fragment" if !extension => {
                // An executable definition: not part of a schema, read and left out.
                while !self.at(b'{') {
                    if self.token == Token::End {
                        return self.error("expected {");
                    }
                    self.advance()?;
                }
                self.skip_block()?;
            }
            _ => return self.error("expected a definition"),
        }
        Ok(())
    }

    /// Skip a balanced `{ … }` block.
    fn skip_block(&mut self) -> Read<()> {
        let mut open = 0usize;
        loop {
            match self.token {
                Token::Punct(b'{') => open += 1,
                Token::Punct(b'}') => open = open.saturating_sub(1),
                Token::End => return self.error("expected }"),
                _ => {}
            }
            self.advance()?;
            if open == 0 {
                return Ok(());
            }
        }
    }

    fn fields(&mut self) -> Read<Vec<FieldDef>> {
        self.expect(b'{')?;
        let mut fields = Vec::new();
        while !self.eat(b'}')? {
            self.description()?;
            let name = self.name()?;
            let args = if self.at(b'(') { self.arguments_definition()? } else { Vec::new() };
            self.expect(b':')?;
            let ty = self.ty()?;
            self.directives()?;
            fields.push(FieldDef { name, ty, args });
        }
        Ok(fields)
    }

    fn arguments_definition(&mut self) -> Read<Vec<InputValue>> {
        self.expect(b'(')?;
        let mut values = vec![self.input_value()?];
        while !self.eat(b')')? {
            values.push(self.input_value()?);
        }
        Ok(values)
    }

    fn input_value(&mut self) -> Read<InputValue> {
        self.description()?;
        let name = self.name()?;
        self.expect(b':')?;
        let ty = self.ty()?;
        let has_default = self.eat(b'=')?;
        if has_default {
            self.value(true)?;
        }
        self.directives()?;
        Ok(InputValue { name, ty, has_default })
    }

    fn ty(&mut self) -> Read<TypeRef> {
        self.enter()?;
        let inner = if self.eat(b'[')? {
            let inner = self.ty()?;
            self.expect(b']')?;
            TypeRef { list: true, non_null: false, ..inner }
        } else {
            match self.token {
                Token::Name(_) => TypeRef { name: self.name()?, list: false, non_null: false },
                _ => return self.error("expected a type"),
            }
        };
        self.depth -= 1;
        Ok(if self.eat(b'!')? { TypeRef { non_null: true, ..inner } } else { inner })
    }

    fn directives(&mut self) -> Read<()> {
        while self.eat(b'@')? {
            self.name()?;
            if self.eat(b'(')? {
                self.arguments(true)?;
            }
        }
        Ok(())
    }

    /// `name: value` pairs after an opening `(`, through the closing `)`.
    fn arguments(&mut self, constant: bool) -> Read<()> {
        loop {
            self.name()?;
            self.expect(b':')?;
            self.value(constant)?;
            if self.eat(b')')? {
                return Ok(());
            }
        }
    }

    fn value(&mut self, constant: bool) -> Read<()> {
        self.enter()?;
        match self.token {
            Token::Value | Token::Name(_) => self.advance()?,
            Token::Punct(b'$') if !constant => {
                self.advance()?;
                self.name()?;
            }
            Token::Punct(b'[') => {
                self.advance()?;
                while !self.eat(b']')? {
                    self.value(constant)?;
                }
            }
            Token::Punct(b'{') => {
                self.advance()?;
                while !self.eat(b'}')? {
                    self.name()?;
                    self.expect(b':')?;
                    self.value(constant)?;
                }
            }
            _ => return self.error("expected a value"),
        }
        self.depth -= 1;
        Ok(())
    }
}

fn describe_char(c: Option<char>) -> String {
    match c {
        Some(c) if c.is_ascii_graphic() => format!("'{c}'"),
        Some(c) => format!("U+{:04X}", u32::from(c)),
        None => "at the end".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Vec<Definition> {
        parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"))
    }

    fn err(text: &str) -> SdlError {
        parse(text).expect_err(text)
    }

    #[test]
    fn the_type_system_grammar() {
        let defs = ok(r#"
            "A description" schema @a(x: 1) { query: Q mutation: M }
            extend schema @b { subscription: S }
            """
            Block "quoted" \""" text
            """
            type Q implements A & B @key(fields: "id") {
              "field" f(a: Int = 1, b: [String!]! = ["x", "y"], c: In = {k: [1.5e3, true, null, ENUM]} @d): [T!]!
              g: String @deprecated(reason: "no")
            }
            interface A { x: ID }
            type Old implements A, B { x: ID }
            extend type Q { h: Int }
            union U @u = | A | B
            enum E { ONE @x TWO "three" THREE }
            input In { k: [Float] = [] @y, l: In2 }
            scalar Date @specifiedBy(url: "https://example.dk")
            directive @key(fields: String!) repeatable on OBJECT | INTERFACE
            directive @d on | ARGUMENT_DEFINITION
            # a comment, commas,,, and a BOM are ignored
            query Ignored($v: Int = 3) { a(x: $v) { ...F } }
            fragment F on Q { b }
            { c }
        "#);
        assert_eq!(defs[0], Definition::QueryType("Q".into()));
        let Definition::Object(name, fields) = &defs[1] else { panic!("{:?}", defs[1]) };
        assert_eq!(name, "Q");
        assert_eq!(fields[0].name, "f");
        assert_eq!(fields[0].ty, TypeRef { name: "T".into(), list: true, non_null: true });
        assert_eq!(fields[0].args.len(), 3);
        assert!(fields[0].args[0].has_default && !fields[0].args[0].ty.non_null);
        assert_eq!(fields[0].args[1].ty, TypeRef { name: "String".into(), list: true, non_null: true });
        assert!(defs.contains(&Definition::Union("U".into())));
        assert!(defs.contains(&Definition::Leaf("E".into())));
        assert!(defs.contains(&Definition::Leaf("Date".into())));
        assert!(matches!(defs.iter().find(|d| matches!(d, Definition::Input(n, _) if n == "In")), Some(Definition::Input(_, f)) if f.len() == 2));
        assert_eq!(defs.iter().filter(|d| matches!(d, Definition::Object(n, _) if n == "Q")).count(), 2);
        assert_eq!(ok("\u{FEFF}type A { b: C }").len(), 1);
    }

    #[test]
    fn errors_say_where() {
        let text = "type Query {\n  a: String\n  b: \n}";
        let e = err(text);
        assert_eq!(e.index, text.rfind('}').unwrap());
        assert_eq!(e.message, "expected a type");
        for bad in [
            "type Query { x: }",
            "type Query {",
            "type Q { a: [String }",
            "type Q { a: String = 1 }",
            "type Q { a(b: Int = $v): Int }",
            "type Q { a: \"x }",
            "type Q { a(b: Int = 01): Int }",
            "type Q { a(b: Int = 1.): Int }",
            "type Q { a(b: Int = 1x): Int }",
            "type Q { a(b: String = \"\\q\"): Int }",
            "type Q ~",
            "extend directive @d on FIELD",
            "schema",
            "directive @d(a: Int)",
            "type Q { a: String }}",
            "\"\"\" never closed",
        ] {
            assert!(!err(bad).limit, "{bad}");
        }
        let deep = format!("type Query {{ x(a: {}1{}): Int }}", "[".repeat(500), "]".repeat(500));
        assert!(err(&deep).limit);
        let deep_value = format!("type Query {{ x(a: T = {}1{}): Int }}", "[".repeat(500), "]".repeat(500));
        assert!(err(&deep_value).limit);
    }
}
