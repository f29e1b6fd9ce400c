package kpisql

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/venn-revops/venn/shared/kpi"
)

// The response table (kpi.Response, the gold kpi_response rows) as SQL:
// one row per MQL of the period with its first human response, from the
// lead response tables of compile.go (rs).

// ResponseColumns are the columns of CompileResponses' rows, in this
// order: lead_id, mql_at, clock_start_at, sla_deadline, responded_at
// (NULL while waiting), responder_id (NULL while waiting), micros (the
// response time, NULL while waiting), due, within_sla, queue_owned,
// owner_id, team. Instants are epoch microseconds.
var ResponseColumns = []string{"lead_id", "mql_at", "clock_start_at", "sla_deadline", "responded_at", "responder_id", "micros", "due", "within_sla", "queue_owned", "owner_id", "team"}

// CompileResponses renders the response rows of a configuration and
// period as one SELECT in the dialect (the same tables as Compile).
func CompileResponses(cfg *kpi.Config, p kpi.Period, d Dialect, t Tables) (string, error) {
	g, err := newGen(cfg, p, d, t)
	if err != nil {
		return "", err
	}
	sla := fmt.Sprint(int64(cfg.Response.SLAHours) * hourMicros)
	return g.statement("response table", []string{`SELECT r.id AS lead_id, r.mql AS mql_at, r.clock AS clock_start_at, r.clock + ` + sla + ` AS sla_deadline,
	r.first AS responded_at, r.responder AS responder_id, r.resp AS micros, r.due, r.met AS within_sla, r.queued AS queue_owned,
	coalesce(r.owner_id, '') AS owner_id, coalesce(u.team, '') AS team
FROM rs r LEFT JOIN usr u ON u.id = r.owner_id`}), nil
}

// Responses turns rows of CompileResponses, each in ResponseColumns order
// as the text both engines print (nil: NULL), into the engine's response
// rows, sorted by lead Id as the engine sorts them. A malformed row is an
// error naming it.
func Responses(rows [][]*string) ([]kpi.Response, error) {
	out := make([]kpi.Response, 0, len(rows))
	for n, r := range rows {
		if len(r) != len(ResponseColumns) {
			return nil, fmt.Errorf("kpisql: response row %d has %d columns, want %d", n+1, len(r), len(ResponseColumns))
		}
		str := func(i int) string {
			if r[i] == nil {
				return ""
			}
			return *r[i]
		}
		x := kpi.Response{Lead: str(0), Responder: str(5), Owner: str(10), Team: str(11), RespondedAt: -1}
		for _, c := range []struct {
			col int
			to  *int64
		}{{1, &x.MQLAt}, {2, &x.ClockStart}, {3, &x.Deadline}, {4, &x.RespondedAt}, {6, &x.Micros}} {
			if r[c.col] == nil {
				continue
			}
			v, err := strconv.ParseInt(*r[c.col], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("kpisql: response row %d (lead %s): %s: %w", n+1, x.Lead, ResponseColumns[c.col], err)
			}
			*c.to = v
		}
		for _, c := range []struct {
			col int
			to  *bool
		}{{7, &x.Due}, {8, &x.WithinSLA}, {9, &x.Queued}} {
			v, err := strconv.ParseBool(str(c.col))
			if err != nil {
				return nil, fmt.Errorf("kpisql: response row %d (lead %s): %s: %w", n+1, x.Lead, ResponseColumns[c.col], err)
			}
			*c.to = v
		}
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b kpi.Response) int { return strings.Compare(a.Lead, b.Lead) })
	return out, nil
}
