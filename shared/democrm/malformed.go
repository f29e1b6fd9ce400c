package democrm

import (
	"github.com/venn-revops/venn/shared/crm"
)

// malformedKinds are the deliberately bad records served besides the valid
// org, cycled through Config.Malformed times. Each is a plausible record with
// exactly one defect the extract must quarantine.
var malformedKinds = []struct {
	obj   *crm.Object
	field string
	raw   string // wire text replacing the field's value ("" with noID)
	noID  bool
	why   string
}{
	{crm.Lead, "CreatedDate", "2026-02-30T25:61:00.000+0000", false, "CreatedDate is not a valid datetime"},
	{crm.Opportunity, "Amount", "n/a", false, `Amount is the string "n/a"`},
	{crm.Lead, "Id", "", true, "the record has no Id"},
}

func (o *Org) addMalformed() {
	for k := 0; k < o.cfg.Malformed; k++ {
		kind := malformedKinds[k%len(malformedKinds)]
		t := o.tables[kind.obj.Name]
		n := malformedBase + int64(len(t.bad))
		id := makeID(t.prefix, n)
		stamp := o.gen.asOf - int64(k+1)*usHour
		b := badRecord{noID: kind.noID}
		b.row.Reset(len(kind.obj.Fields))
		w := rowWriter{kind.obj, &b.row}
		w.common(id, stamp-30*usDay, stamp)
		owner := People[personIndex("005000000000011AAA")].ID
		switch kind.obj {
		case crm.Lead:
			w.str("FirstName", "Mal")
			w.str("LastName", "Formed")
			w.str("Company", "Broken Records Ltd")
			w.str("Status", "Open - Not Contacted")
			w.str("LeadSource", "Web")
			w.str("OwnerId", owner)
			w.str("Segment__c", "SMB")
			w.str("Region__c", "NA")
			w.boolean("IsConverted", false)
		case crm.Opportunity:
			w.str("Name", "Broken Records Ltd - New Business")
			w.str("OwnerId", People[personIndex("005000000000002AAA")].ID)
			w.str("StageName", "Prospecting")
			w.str("CurrencyIsoCode", "USD")
			w.date("CloseDate", dayOf(o.gen.asOf)+30)
			w.boolean("IsClosed", false)
			w.boolean("IsWon", false)
			w.str("Type", "New Business")
			w.hundredths("Probability", 1000)
		}
		if !kind.noID {
			b.raw = map[string]string{kind.field: kind.raw}
		} else {
			id = ""
		}
		t.bad = append(t.bad, b)
		o.bad = append(o.bad, MalformedRecord{Object: kind.obj.Name, ID: id, Field: kind.field, Why: kind.why})
	}
}
