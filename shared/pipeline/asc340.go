package pipeline

import (
	"bytes"
	"context"
	"fmt"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/statementstore"
	"github.com/venn-revops/venn/shared/period"
)

// asc340 is the quarter's ASC 340-40 commission expense CSV: the exported
// (approved or final) statements of q and the final statements of the
// quarters before it whose capitalised commission still amortises.
func (e *Env) asc340(ctx context.Context, q period.Quarter, a *comp.AccountingConfig, recs []comp.ExportRecord) ([]byte, error) {
	stmts, err := statementstore.PreviousFinal(ctx, e.Store, q.String(), a.QuartersNeeded())
	if err != nil {
		return nil, fmt.Errorf("asc 340-40: %w", err)
	}
	for _, r := range recs {
		stmts = append(stmts, *r.Statement)
	}
	rows, err := comp.AccountingRows(stmts, a, q)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := comp.WriteAccountingCSV(&b, rows); err != nil {
		return nil, fmt.Errorf("asc 340-40 csv: %w", err)
	}
	return b.Bytes(), nil
}
