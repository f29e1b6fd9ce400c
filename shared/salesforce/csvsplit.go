package salesforce

import (
	"bytes"
	"errors"
)

// csvSplitter cuts a Bulk API 2.0 results page (RFC 4180: comma,
// double quotes, LF or CRLF line ends) into rows. Unlike encoding/csv,
// which stops at the first bad quote, it reports a malformed row and goes
// on with the next line, so one bad record is quarantined instead of
// costing the page. Rows are read exactly as encoding/csv reads them when
// nothing is wrong (blank lines skipped, CRLF read as LF, a final CR
// dropped); the fuzz test holds it to that.
type csvSplitter struct {
	data  []byte
	pos   int
	cells []string
	field []byte
}

// errors a malformed row can carry.
var (
	errUnterminatedQuote = errors.New("bad quoting: a quoted cell is never closed")
	errAfterQuote        = errors.New("bad quoting: a character follows a closing quote")
	errBareQuote         = errors.New("bad quoting: a quote inside an unquoted cell")
)

// next returns the next row: its text (without the line end), its cells
// (reused by the next call), or the reason it is malformed. ok is false
// at the end of the data.
func (s *csvSplitter) next() (raw []byte, cells []string, err error, ok bool) {
	for s.pos < len(s.data) {
		if s.data[s.pos] == '\n' {
			s.pos++
			continue
		}
		if s.data[s.pos] == '\r' && (s.pos+1 == len(s.data) || s.data[s.pos+1] == '\n') {
			s.pos++
			continue
		}
		break
	}
	if s.pos >= len(s.data) {
		return nil, nil, nil, false
	}
	start := s.pos
	s.cells = s.cells[:0]
	for {
		if s.data[s.pos] == '"' {
			quote := s.pos
			s.pos++
			s.field = s.field[:0]
			for {
				i := bytes.IndexByte(s.data[s.pos:], '"')
				if i < 0 {
					return s.resync(start, quote, errUnterminatedQuote)
				}
				s.field = append(s.field, s.data[s.pos:s.pos+i]...)
				s.pos += i + 1
				if s.pos < len(s.data) && s.data[s.pos] == '"' {
					s.field = append(s.field, '"')
					s.pos++
					continue
				}
				break
			}
			cell := string(bytes.ReplaceAll(s.field, []byte("\r\n"), []byte("\n")))
			s.cells = append(s.cells, cell)
			switch {
			case s.pos >= len(s.data):
				return s.data[start:s.pos], s.cells, nil, true
			case s.data[s.pos] == ',':
				s.pos++
				if s.pos >= len(s.data) {
					s.cells = append(s.cells, "")
					return s.data[start:s.pos], s.cells, nil, true
				}
				continue
			case s.data[s.pos] == '\n':
				s.pos++
				return s.data[start : s.pos-1], s.cells, nil, true
			case s.data[s.pos] == '\r' && (s.pos+1 == len(s.data) || s.data[s.pos+1] == '\n'):
				end := s.pos
				s.pos = min(s.pos+2, len(s.data))
				return s.data[start:end], s.cells, nil, true
			}
			return s.resync(start, s.pos, errAfterQuote)
		}
		// An unquoted cell runs to the next comma or line end.
		rest := s.data[s.pos:]
		end := bytes.IndexAny(rest, ",\n\"")
		if end >= 0 && rest[end] == '"' {
			return s.resync(start, s.pos+end, errBareQuote)
		}
		if end < 0 {
			cell := rest
			if len(cell) > 0 && cell[len(cell)-1] == '\r' {
				cell = cell[:len(cell)-1] // a final CR before the end is dropped
			}
			s.cells = append(s.cells, string(cell))
			s.pos = len(s.data)
			return s.data[start:len(s.data)], s.cells, nil, true
		}
		cell := rest[:end]
		s.pos += end + 1
		if rest[end] == '\n' {
			lineEnd := s.pos - 1
			if len(cell) > 0 && cell[len(cell)-1] == '\r' {
				cell = cell[:len(cell)-1]
				lineEnd--
			}
			s.cells = append(s.cells, string(cell))
			return s.data[start:lineEnd], s.cells, nil, true
		}
		s.cells = append(s.cells, string(cell))
		if s.pos >= len(s.data) {
			s.cells = append(s.cells, "")
			return s.data[start:s.pos], s.cells, nil, true
		}
	}
}

// resync ends a malformed row at the first line end at or after from and
// continues with the next line.
func (s *csvSplitter) resync(start, from int, err error) ([]byte, []string, error, bool) {
	end := len(s.data)
	if i := bytes.IndexByte(s.data[from:], '\n'); i >= 0 {
		end = from + i
	}
	s.pos = min(end+1, len(s.data))
	raw := s.data[start:end]
	if len(raw) > 0 && raw[len(raw)-1] == '\r' {
		raw = raw[:len(raw)-1]
	}
	return raw, nil, err, true
}
