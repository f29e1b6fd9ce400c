package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/extract"
)

// The extract resolves event objects in the configured registry: a custom
// object of the configuration is known, one it does not list is refused
// before anything is pulled (the nil source is never called).
func TestExtractObjectsFromTheConfiguration(t *testing.T) {
	org, err := extract.LoadOrgConfig("org.yaml", []byte("version: 1\nobjects: [{name: Subscription__c, all_fields: true}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := org.Registry.Lookup("Subscription__c"); err != nil {
		t.Fatal(err)
	}
	e := &Env{ExtractOptions: ExtractOptions{Org: org}}
	_, err = e.Extract(context.Background(), nil, Event{Job: "extract", Objects: []string{"Invoice__c"}})
	if err == nil || !strings.Contains(err.Error(), `"Invoice__c"`) || !strings.Contains(err.Error(), "extract configuration") {
		t.Fatalf("err = %v, want one naming Invoice__c and the extract configuration", err)
	}
}
