package lake_test

import (
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/lake"
)

func TestParseRetention(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"30", 30 * day, ""},
		{"30d", 30 * day, ""},
		{"0", 0, ""},
		{"0d", 0, ""},
		{"720h", 720 * time.Hour, ""},
		{"1h", time.Hour, ""},
		{"59m", 0, "at least 1h0m0s"},
		{"-1h", 0, "at least"},
		{"thirty", 0, "want days"},
		{"", 0, "want days"},
	} {
		got, err := lake.ParseRetention(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseRetention(%q): %v, want an error with %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseRetention(%q) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
}
