package functions_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/ackstore"
	compconfig "github.com/venn-revops/venn/shared/config/comp"
)

// checkAcknowledge sends signed acknowledge requests to the approve
// function: Alex Romero (matched by his session's email) acknowledges his
// plan's current file; someone else may not acknowledge for him; another
// file's hash does not count and is refused; the same acknowledgement
// again leaves the first.
func (w *world) checkAcknowledge(t *testing.T) {
	cfg, err := comp.LoadConfig(compconfig.FS())
	if err != nil {
		t.Fatal(err)
	}
	var sha string
	for _, p := range cfg.Plans {
		if p.Ref() == "ae@v1" {
			sha = p.Hash
		}
	}
	const alexARN = "arn:aws:sts::123456789012:assumed-role/VennFinanceApprover/alex.romero@venn-demo.example"
	const alex = "005000000000002AAA"
	ev := func(hash string, people ...string) []byte {
		p := ""
		if len(people) > 0 {
			p = fmt.Sprintf(`,"people":["%s"]`, strings.Join(people, `","`))
		}
		return []byte(fmt.Sprintf(`{"job":"approve","quarter":"%s","action":"acknowledge","plan":"ae@v1","sha256":"%s"%s}`, quarter, hash, p))
	}
	h := w.start(t, "approve", time.Minute)
	for _, tt := range []struct {
		name, arn string
		body      []byte
		status    int
		want      string
	}{
		{"for someone else", approverARN, ev(sha, alex), 403, "rule own_acknowledgement"},
		{"another file", alexARN, ev(strings.Repeat("0", 64)), 409, "acknowledgement of another plan file"},
		{"no IAM principal", "", ev(sha), 403, "no authenticated caller"},
	} {
		status, body := urlAnswer(t, invoke(t, h, urlRequest(t, tt.arn, tt.body)))
		if status != tt.status || !strings.Contains(string(body), tt.want) {
			t.Errorf("%s: %d %s, want %d with %q", tt.name, status, body, tt.status, tt.want)
		}
	}
	if acks, err := ackstore.List(context.Background(), w.store, "ae@v1"); err != nil || len(acks) != 0 {
		t.Fatalf("refused requests stored %+v (%v)", acks, err)
	}
	status, body := urlAnswer(t, invoke(t, h, urlRequest(t, alexARN, ev(sha))))
	if status != 200 || !strings.Contains(string(body), `"created":true`) {
		t.Fatalf("Alex acknowledges: %d %s", status, body)
	}
	acks, err := ackstore.List(context.Background(), w.store, "ae@v1")
	if err != nil || len(acks) != 1 {
		t.Fatalf("stored %+v (%v)", acks, err)
	}
	a := acks[0]
	if a.PersonID != alex || a.FileSHA256 != sha || a.By != "aws:123456789012:role/VennFinanceApprover/alex.romero@venn-demo.example" || a.Identity == nil || a.Identity.Principal != alexARN {
		t.Errorf("stored %+v", a)
	}
	// Naming himself is the same request as not naming anyone: the first
	// acknowledgement stands.
	status, body = urlAnswer(t, invoke(t, h, urlRequest(t, alexARN, ev(sha, alex))))
	if status != 200 || !strings.Contains(string(body), `"created":false`) || !strings.Contains(string(body), a.At) {
		t.Errorf("again: %d %s, want the first (%s), not created", status, body, a.At)
	}
}
