package orggen

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/crm"
)

// soqlQuery is the parsed subset of SOQL the Venn client sends:
//
//	SELECT f1, f2, ... | COUNT() FROM Object
//	  [WHERE cond AND cond ...]
//	  [ORDER BY SystemModstamp [ASC], Id [ASC] | ORDER BY Id [ASC|DESC]]
//	  [LIMIT n]
//
// where cond is `field op literal` (op one of = != < <= > >=) or
// `field IN (literal, ...)`, on any field of the object.
type soqlQuery struct {
	obj     *crm.Object
	fields  []int // selected fields, positions in obj.Fields
	count   bool  // SELECT COUNT()
	conds   []cond
	byStamp bool // ORDER BY SystemModstamp, Id (otherwise Id order)
	desc    bool // ORDER BY Id DESC
	limit   int  // -1: none
}

type cond struct {
	field int
	op    string // = != < <= > >= IN
	val   crm.Value
	in    []crm.Value
}

// QueryError is a query the org refuses, with its Salesforce error code
// (MALFORMED_QUERY, INVALID_TYPE, INVALID_FIELD).
type QueryError struct{ Code, Message string }

func (e *QueryError) Error() string { return e.Code + ": " + e.Message }

func malformed(format string, args ...any) error {
	return &QueryError{"MALFORMED_QUERY", fmt.Sprintf(format, args...)}
}

// tokenizeSOQL splits a query into identifiers, literals and punctuation.
// Quoted strings keep their quotes so the parser can tell them apart.
func tokenizeSOQL(q string) ([]string, error) {
	var toks []string
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == ',' || c == '(' || c == ')':
			toks = append(toks, string(c))
			i++
		case c == '=' || c == '<' || c == '>' || c == '!':
			j := i + 1
			if j < len(q) && q[j] == '=' {
				j++
			}
			if q[i:j] == "!" {
				return nil, malformed("unexpected '!' at %d", i)
			}
			toks = append(toks, q[i:j])
			i = j
		case c == '\'':
			var b strings.Builder
			b.WriteByte('\'')
			j := i + 1
			for ; j < len(q) && q[j] != '\''; j++ {
				if q[j] == '\\' && j+1 < len(q) {
					j++
				}
				b.WriteByte(q[j])
			}
			if j >= len(q) {
				return nil, malformed("unterminated string literal")
			}
			toks = append(toks, b.String())
			i = j + 1
		default:
			j := i
			for j < len(q) && !strings.ContainsRune(" \t\n\r,()=<>!'", rune(q[j])) {
				j++
			}
			toks = append(toks, q[i:j])
			i = j
		}
	}
	return toks, nil
}

type soqlParser struct {
	toks []string
	pos  int
}

func (p *soqlParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *soqlParser) next() string {
	t := p.peek()
	p.pos++
	return t
}

func (p *soqlParser) keyword(kw string) bool {
	if strings.EqualFold(p.peek(), kw) {
		p.pos++
		return true
	}
	return false
}

func (p *soqlParser) expect(kw string) error {
	if !p.keyword(kw) {
		return malformed("expected %s, found %q", kw, p.peek())
	}
	return nil
}

// parseSOQL parses q against the objects lookup resolves (an org's objects,
// case-insensitively, as SOQL names are).
func parseSOQL(q string, lookup func(string) (*crm.Object, bool)) (*soqlQuery, error) {
	toks, err := tokenizeSOQL(q)
	if err != nil {
		return nil, err
	}
	p := &soqlParser{toks: toks}
	if err := p.expect("SELECT"); err != nil {
		return nil, err
	}
	var names []string
	out := &soqlQuery{limit: -1}
	if strings.EqualFold(p.peek(), "COUNT") {
		p.next()
		if p.next() != "(" || p.next() != ")" {
			return nil, malformed("only COUNT() is supported")
		}
		out.count = true
	} else {
		for {
			n := p.next()
			if n == "" || strings.EqualFold(n, "FROM") {
				return nil, malformed("expected a field name")
			}
			names = append(names, n)
			if p.peek() != "," {
				break
			}
			p.next()
		}
	}
	if err := p.expect("FROM"); err != nil {
		return nil, err
	}
	objName := p.next()
	obj, ok := lookup(objName)
	if !ok {
		return nil, &QueryError{"INVALID_TYPE", fmt.Sprintf("sObject type '%s' is not supported.", objName)}
	}
	out.obj = obj
	for _, n := range names {
		i, err := fieldIndex(obj, n)
		if err != nil && obj.Name == "Lead" && strings.EqualFold(n, "Name") {
			i, err = CompoundName, nil
		}
		if err != nil {
			return nil, err
		}
		out.fields = append(out.fields, i)
	}
	if p.keyword("WHERE") {
		for {
			c, err := p.cond(obj)
			if err != nil {
				return nil, err
			}
			out.conds = append(out.conds, c)
			if !p.keyword("AND") {
				break
			}
		}
	}
	if p.keyword("ORDER") {
		if err := p.expect("BY"); err != nil {
			return nil, err
		}
		var keys []string
		desc := 0
		for {
			keys = append(keys, strings.ToLower(p.next()))
			if !p.keyword("ASC") && p.keyword("DESC") {
				desc++
			}
			if p.peek() != "," {
				break
			}
			p.next()
		}
		switch k := strings.Join(keys, ","); {
		case desc > 0 && k != "id":
			return nil, malformed("ORDER BY ... DESC is supported only as ORDER BY Id DESC")
		case desc > 0:
			out.desc = true
		case k == "systemmodstamp,id" || k == "systemmodstamp":
			out.byStamp = true
		case obj.AppendOnly && (k == "createddate,id" || k == "createddate"):
			out.byStamp = true // an append-only object's stamp is its CreatedDate
		case k == "id":
		default:
			return nil, malformed("ORDER BY supports only SystemModstamp, Id (CreatedDate, Id for field history) or Id")
		}
	}
	if p.keyword("LIMIT") {
		n, err := strconv.Atoi(p.next())
		if err != nil || n < 0 {
			return nil, malformed("LIMIT wants a whole number")
		}
		out.limit = n
	}
	if p.peek() != "" {
		return nil, malformed("unexpected token %q", p.peek())
	}
	return out, nil
}

func fieldIndex(obj *crm.Object, name string) (int, error) {
	for i, f := range obj.Fields {
		if f.Name != "" && strings.EqualFold(f.Name, name) {
			return i, nil
		}
	}
	return 0, &QueryError{"INVALID_FIELD", fmt.Sprintf("No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.", name, obj.Name)}
}

func (p *soqlParser) cond(obj *crm.Object) (cond, error) {
	name := p.next()
	if name == "" || strings.ContainsAny(name, ",()=<>!'") {
		return cond{}, malformed("expected a field name in WHERE, found %q", name)
	}
	i, err := fieldIndex(obj, name)
	if err != nil {
		return cond{}, err
	}
	c := cond{field: i}
	op := p.next()
	switch {
	case op == "=" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=":
		c.op = op
		c.val, err = literal(obj.Fields[i], p.next())
		return c, err
	case strings.EqualFold(op, "IN"):
		c.op = "IN"
		if p.next() != "(" {
			return c, malformed("expected ( after IN")
		}
		for {
			v, err := literal(obj.Fields[i], p.next())
			if err != nil {
				return c, err
			}
			c.in = append(c.in, v)
			if t := p.next(); t == ")" {
				return c, nil
			} else if t != "," {
				return c, malformed("expected , or ) in IN list")
			}
		}
	}
	return c, malformed("unsupported operator %q", op)
}

// literal parses a SOQL literal for field f: quoted strings for text,
// unquoted dates, datetimes, numbers, true/false and null.
func literal(f crm.Field, tok string) (crm.Value, error) {
	if strings.EqualFold(tok, "null") {
		return crm.Value{Null: true}, nil
	}
	bad := func() (crm.Value, error) {
		return crm.Value{}, &QueryError{"INVALID_FIELD", fmt.Sprintf("value of filter criterion for field '%s' must be of type %s and should not be enclosed in quotes: %s", f.Name, f.Type, tok)}
	}
	switch f.Type {
	case crm.Text, crm.ID, crm.Picklist, crm.Email, crm.Phone:
		if !strings.HasPrefix(tok, "'") {
			return crm.Value{}, malformed("%s wants a quoted string, found %s", f.Name, tok)
		}
		return crm.Value{S: tok[1:]}, nil
	case crm.Bool:
		switch strings.ToLower(tok) {
		case "true":
			return crm.Value{B: true}, nil
		case "false":
			return crm.Value{B: false}, nil
		}
	case crm.Date:
		if t, err := time.Parse(time.DateOnly, tok); err == nil {
			return crm.Value{I: crm.Days(t)}, nil
		}
	case crm.DateTime:
		if t, err := crm.ParseDateTime(tok); err == nil {
			return crm.Value{I: crm.Micros(t)}, nil
		}
	case crm.Currency, crm.Percent:
		// Hundredths, truncated; bounded so the cents fit an int64.
		if d, err := decimal.NewFromString(tok); err == nil && d.Abs().LessThan(maxLiteral) {
			return crm.Value{I: d.Shift(2).IntPart()}, nil
		}
	case crm.Rate:
		if d, err := decimal.NewFromString(tok); err == nil && d.Abs().LessThan(maxLiteral) {
			return crm.Value{I: d.Shift(crm.RateScale).IntPart()}, nil
		}
	case crm.Int:
		if n, err := strconv.ParseInt(tok, 10, 64); err == nil {
			return crm.Value{I: n}, nil
		}
	}
	return bad()
}

var maxLiteral = decimal.New(1, 16)

// String writes q back as SOQL in a canonical form: parsing it yields q
// again (the fuzz test holds the parser to that).
func (q *soqlQuery) String() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	if q.count {
		b.WriteString("COUNT()")
	}
	for k, i := range q.fields {
		if k > 0 {
			b.WriteString(", ")
		}
		if i == CompoundName {
			b.WriteString("Name")
		} else {
			b.WriteString(q.obj.Fields[i].Name)
		}
	}
	b.WriteString(" FROM " + q.obj.Name)
	for k, c := range q.conds {
		b.WriteString([]string{" WHERE ", " AND "}[min(k, 1)])
		f := q.obj.Fields[c.field]
		b.WriteString(f.Name + " " + c.op + " ")
		if c.op != "IN" {
			b.WriteString(formatLiteral(f, c.val))
			continue
		}
		b.WriteString("(")
		for n, v := range c.in {
			if n > 0 {
				b.WriteString(", ")
			}
			b.WriteString(formatLiteral(f, v))
		}
		b.WriteString(")")
	}
	if q.byStamp {
		b.WriteString(" ORDER BY " + q.obj.StampField() + ", Id")
	}
	if q.desc {
		b.WriteString(" ORDER BY Id DESC")
	}
	if q.limit >= 0 {
		b.WriteString(" LIMIT " + strconv.Itoa(q.limit))
	}
	return b.String()
}

// formatLiteral writes v as the SOQL literal literal() reads for field f.
func formatLiteral(f crm.Field, v crm.Value) string {
	if v.Null {
		return "null"
	}
	switch f.Type {
	case crm.Bool:
		return strconv.FormatBool(v.B)
	case crm.Date:
		return crm.TimeOfDays(v.I).Format(time.DateOnly)
	case crm.DateTime:
		return crm.TimeOfMicros(v.I).Format("2006-01-02T15:04:05.000000Z07:00")
	case crm.Currency, crm.Percent:
		return string(appendCents(nil, v.I))
	case crm.Rate:
		return crm.FormatRate(v.I)
	case crm.Int:
		return strconv.FormatInt(v.I, 10)
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v.S) + "'"
}

// compare orders two non-null values of field type t.
func compare(t crm.FieldType, a, b crm.Value) int {
	switch t {
	case crm.Text, crm.ID, crm.Picklist, crm.Email, crm.Phone:
		return strings.Compare(a.S, b.S)
	case crm.Bool:
		switch {
		case a.B == b.B:
			return 0
		case b.B:
			return -1
		}
		return 1
	}
	switch {
	case a.I < b.I:
		return -1
	case a.I > b.I:
		return 1
	}
	return 0
}

// match evaluates c against value v of its field.
func (c *cond) match(t crm.FieldType, v crm.Value) bool {
	if c.op == "IN" {
		for _, x := range c.in {
			if !v.Null && !x.Null && compare(t, v, x) == 0 {
				return true
			}
		}
		return false
	}
	if c.val.Null || v.Null {
		switch c.op {
		case "=":
			return c.val.Null == v.Null
		case "!=":
			return c.val.Null != v.Null
		}
		return false
	}
	k := compare(t, v, c.val)
	switch c.op {
	case "=":
		return k == 0
	case "!=":
		return k != 0
	case "<":
		return k < 0
	case "<=":
		return k <= 0
	case ">":
		return k > 0
	case ">=":
		return k >= 0
	}
	return false
}
