package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm/orggen"
)

// describeField is one entry of a describe's fields, with the properties a
// client may rely on (Salesforce sends more).
type describeField struct {
	Name              string          `json:"name"`
	Label             string          `json:"label"`
	Type              string          `json:"type"`
	SoapType          string          `json:"soapType"`
	Length            int             `json:"length"`
	ByteLength        int             `json:"byteLength"`
	Precision         int             `json:"precision"`
	Scale             int             `json:"scale"`
	Digits            int             `json:"digits"`
	Nillable          bool            `json:"nillable"`
	Custom            bool            `json:"custom"`
	Calculated        bool            `json:"calculated"`
	Updateable        bool            `json:"updateable"`
	Createable        bool            `json:"createable"`
	Filterable        bool            `json:"filterable"`
	Sortable          bool            `json:"sortable"`
	Unique            bool            `json:"unique"`
	ExternalID        bool            `json:"externalId"`
	IDLookup          bool            `json:"idLookup"`
	NameField         bool            `json:"nameField"`
	CompoundFieldName *string         `json:"compoundFieldName"`
	ReferenceTo       []string        `json:"referenceTo"`
	RelationshipName  *string         `json:"relationshipName"`
	PicklistValues    []picklistValue `json:"picklistValues"`
}

type picklistValue struct {
	Active       bool   `json:"active"`
	DefaultValue bool   `json:"defaultValue"`
	Label        string `json:"label"`
	Value        string `json:"value"`
}

// referenceTargets are the objects a reference field points to, by field
// name (as Salesforce's describe lists them). It is the org's own word,
// kept apart from crm's Id prefix rules on purpose: tests compare the
// client's validation with an independent server.
var referenceTargets = map[string][]string{
	"OwnerId":                {"User"},
	"ManagerId":              {"User"},
	"SplitOwnerId":           {"User"},
	"AccountId":              {"Account"},
	"ConvertedAccountId":     {"Account"},
	"ContactId":              {"Contact"},
	"ConvertedContactId":     {"Contact"},
	"LeadId":                 {"Lead"},
	"OpportunityId":          {"Opportunity"},
	"ConvertedOpportunityId": {"Opportunity"},
	"CampaignId":             {"Campaign"},
	"SplitTypeId":            {"OpportunitySplitType"},
	"ContractId":             {"Contract"},
	"Product2Id":             {"Product2"},
	"PricebookEntryId":       {"PricebookEntry"},
	"WhoId":                  {"Contact", "Lead"},
	"WhatId":                 {"Account", "Campaign", "Opportunity"},
}

// textLength is the length of a text field (Salesforce's standard sizes;
// 255 otherwise).
var textLength = map[string]int{"FirstName": 40, "LastName": 80, "Name": 120, "Email": 80, "Phone": 40, "Title": 128, "Subject": 255, "Company": 255, "EmployeeNumber": 20}

// describeOf is the describe entry of field f at position i of obj.
func describeOf(obj *crm.Object, base string, f crm.Field, i int, extra *orggen.ExtraField) describeField {
	d := describeField{
		Name: f.Name, Label: strings.ReplaceAll(strings.TrimSuffix(f.Name, "__c"), "_", " "),
		Nillable: !f.Required && f.Type != crm.Bool, Custom: strings.HasSuffix(f.Name, "__c"),
		Filterable: f.Type != crm.AnyType, Sortable: true, ReferenceTo: []string{}, PicklistValues: []picklistValue{},
	}
	system := i < 3 || (obj.SoftDelete && i == 3) || f.Name == "IsClosed" || f.Name == "IsWon" || f.Name == "IsConverted"
	d.Calculated = extra != nil && extra.Formula
	d.Updateable = !system && !d.Calculated
	d.Createable = d.Updateable
	switch f.Type {
	case crm.ID:
		d.Type, d.SoapType, d.Length, d.ByteLength = "reference", "tns:ID", 18, 18
		if i == 0 {
			d.Type, d.IDLookup, d.Unique = "id", true, true
		} else {
			targets := referenceTargets[base]
			if targets == nil && extra != nil {
				targets = []string{"Account"} // the demo's extra references point to accounts
			}
			d.ReferenceTo = slices.Clone(targets)
			rel := strings.TrimSuffix(f.Name, "Id")
			if d.Custom {
				rel = strings.TrimSuffix(f.Name, "__c") + "__r"
			}
			d.RelationshipName = &rel
		}
	case crm.Text, crm.Email, crm.Phone, crm.Picklist:
		d.Type = map[crm.FieldType]string{crm.Text: "string", crm.Email: "email", crm.Phone: "phone", crm.Picklist: "picklist"}[f.Type]
		d.SoapType = "xsd:string"
		d.Length = 255
		if n, ok := textLength[base]; ok {
			d.Length = n
		}
		d.ByteLength = 3 * d.Length
		if f.Type == crm.Picklist {
			vals := orggen.PicklistValues(base)
			if extra != nil {
				vals = extra.Values
			}
			for k, v := range vals {
				d.PicklistValues = append(d.PicklistValues, picklistValue{Active: true, DefaultValue: k == 0 && base == "CurrencyIsoCode", Label: v, Value: v})
			}
		}
	case crm.Bool:
		d.Type, d.SoapType = "boolean", "xsd:boolean"
	case crm.Date:
		d.Type, d.SoapType = "date", "xsd:date"
	case crm.DateTime:
		d.Type, d.SoapType = "datetime", "xsd:dateTime"
	case crm.Currency:
		d.Type, d.SoapType, d.Precision, d.Scale = "currency", "xsd:double", 18, 2
		if base == "Quantity" { // a number, not money: Salesforce's double(12, 2)
			d.Type, d.Precision = "double", 12
		}
	case crm.Percent:
		d.Type, d.SoapType, d.Precision, d.Scale = "percent", "xsd:double", 5, 2
		if base == "Probability" {
			d.Precision, d.Scale = 3, 0
		}
	case crm.Int:
		d.Type, d.SoapType, d.Digits = "int", "xsd:int", 9
	case crm.Rate:
		d.Type, d.SoapType, d.Precision, d.Scale = "double", "xsd:double", 18, crm.RateScale
	default:
		d.Type, d.SoapType = "anyType", "xsd:anyType"
	}
	return d
}

// describe answers sobjects/<Obj>/describe with the object as this org has
// it: its own field names, no field it lacks, its extra fields, and Lead's
// compound Name.
func (s *Server) describe(w http.ResponseWriter, version, name string) {
	t, ok := s.org.Describe(name)
	if !ok {
		s.fail(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("The requested resource does not exist: sObject type '%s' is not supported", name))
		return
	}
	obj := t.Object
	var fields []describeField
	nExtra := len(t.Extras)
	for i, f := range obj.Fields {
		if f.Name == "" { // a field this org lacks
			continue
		}
		base := f.Name
		var extra *orggen.ExtraField
		if k := i - (len(obj.Fields) - nExtra); k >= 0 {
			extra = &t.Extras[k]
		} else if t.Base != nil {
			base = t.Base.Fields[i].Name
		}
		d := describeOf(obj, base, f, i, extra)
		if t.Base == crm.Lead && (base == "FirstName" || base == "LastName") {
			compound := "Name"
			d.CompoundFieldName = &compound
		}
		fields = append(fields, d)
	}
	if t.Base == crm.Lead {
		fields = append(fields, describeField{Name: "Name", Label: "Full Name", Type: "string", SoapType: "xsd:string", Length: 121, ByteLength: 363,
			Filterable: true, Sortable: true, NameField: true, ReferenceTo: []string{}, PicklistValues: []picklistValue{}})
	}
	body := s.objectSummary(version, t)
	body["fields"] = fields
	s.writeJSON(w, body)
}

// objectSummary is what the describe and the global describe say of an
// object besides its fields.
func (s *Server) objectSummary(version string, t orggen.ObjectInfo) map[string]any {
	name := t.Object.Name
	url := "/services/data/" + version + "/sobjects/" + name
	return map[string]any{
		"name": name, "label": strings.TrimSuffix(name, "__c"), "labelPlural": strings.TrimSuffix(name, "__c") + "s",
		"keyPrefix": t.KeyPrefix, "custom": t.Base == nil, "queryable": true, "retrieveable": true, "replicateable": true,
		"searchable": true, "createable": true, "updateable": true, "deletable": name != "User",
		"urls": map[string]string{"sobject": url, "describe": url + "/describe"},
	}
}

// describeGlobal answers sobjects/: the objects this org has.
func (s *Server) describeGlobal(w http.ResponseWriter, version string) {
	var objs []map[string]any
	for _, obj := range s.org.Objects() {
		info, _ := s.org.Describe(obj.Name)
		objs = append(objs, s.objectSummary(version, info))
	}
	s.writeJSON(w, map[string]any{"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": objs})
}
