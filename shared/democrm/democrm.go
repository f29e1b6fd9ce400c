// Package democrm is Venn's demo CRM: a deterministic synthetic B2B org
// (Generate) and a server that speaks the Salesforce REST, Bulk API 2.0 and
// OAuth protocols over it (NewServer), so the extract job, its tests and the
// demo run against the same wire format as production, without an account.
//
// The org lives in shared/democrm/orggen and the protocol server, which
// uses only the org's exported API, in shared/democrm/server. This package
// re-exports both so a test needs one import; the doc comments are on the
// originals. docs/demo-crm.md is the overview.
package democrm

import (
	"github.com/venn-revops/venn/shared/democrm/orggen"
	"github.com/venn-revops/venn/shared/democrm/server"
)

// The org (see package orggen).
type (
	Config           = orggen.Config
	Org              = orggen.Org
	Person           = orggen.Person
	NightSummary     = orggen.NightSummary
	MalformedRecord  = orggen.MalformedRecord
	Defect           = orggen.Defect
	DefectKind       = orggen.DefectKind
	Shape            = orggen.Shape
	ExtraField       = orggen.ExtraField
	CustomObject     = orggen.CustomObject
	DeletedRecord    = orggen.DeletedRecord
	DeletedResult    = orggen.DeletedResult
	UpdatedResult    = orggen.UpdatedResult
	ReplicationError = orggen.ReplicationError
)

// Wire defects (see orggen.DefectKind).
const (
	DefectBadValue      = orggen.DefectBadValue
	DefectNullValue     = orggen.DefectNullValue
	DefectInvalidUTF8   = orggen.DefectInvalidUTF8
	DefectLoneSurrogate = orggen.DefectLoneSurrogate
	DefectDuplicateKey  = orggen.DefectDuplicateKey
	DefectNotAnObject   = orggen.DefectNotAnObject
	DefectBadChecksum   = orggen.DefectBadChecksum
	DefectWrongPrefix   = orggen.DefectWrongPrefix
	DefectHyphenID      = orggen.DefectHyphenID
	DefectShortID       = orggen.DefectShortID
	DefectWrongType     = orggen.DefectWrongType
	DefectSameStampCopy = orggen.DefectSameStampCopy
	DefectCSVQuoting    = orggen.DefectCSVQuoting
	DefectCSVColumns    = orggen.DefectCSVColumns
)

// Recycle Bin and replication limits (see package orggen).
const (
	RecycleBinDays    = orggen.RecycleBinDays
	ReplicationDays   = orggen.ReplicationDays
	MaxReplicationIDs = orggen.MaxReplicationIDs
)

// The demo org's clock, history and roster (see package orggen).
var (
	DefaultAsOf         = orggen.DefaultAsOf
	DefaultHistoryStart = orggen.DefaultHistoryStart
	JordanPromoted      = orggen.JordanPromoted
	People              = orggen.People
	CustomFieldNames    = orggen.CustomFieldNames
)

// Generate builds the org described by cfg (orggen.Generate).
func Generate(cfg Config) *Org { return orggen.Generate(cfg) }

// PlantedConversion is the conversion probability of a lead in an org
// generated with PlantedSignal (orggen.PlantedConversion): of its source,
// segment, region and title rank at creation.
func PlantedConversion(source, segment, region, rank string) float64 {
	return orggen.PlantedConversion(source, segment, region, rank)
}

// RenamedCustomFields is orggen.RenamedCustomFields.
func RenamedCustomFields() map[string]map[string]string { return orggen.RenamedCustomFields() }

// WithoutContracts is orggen.WithoutContracts: an org without Contract,
// OpportunityLineItem and Product2.
func WithoutContracts() Shape { return orggen.WithoutContracts() }

// SingleCurrency is orggen.SingleCurrency: an org without CurrencyType,
// DatedConversionRate and CurrencyIsoCode fields.
func SingleCurrency() Shape { return orggen.SingleCurrency() }

// MissingCustomFields is orggen.MissingCustomFields.
func MissingCustomFields() map[string]map[string]string { return orggen.MissingCustomFields() }

// ExampleExtraFields is orggen.ExampleExtraFields.
func ExampleExtraFields() map[string][]ExtraField { return orggen.ExampleExtraFields() }

// InvoicePaidDate is orggen.InvoicePaidDate: the demo org's
// Opportunity.Invoice_Paid_Date__c, set on won deals once their invoice is
// paid.
var InvoicePaidDate = orggen.InvoicePaidDate

// WithInvoicePaidDate is orggen.WithInvoicePaidDate: shape s with the demo's
// invoice field on Opportunity (the org make demo runs).
func WithInvoicePaidDate(s Shape) Shape { return orggen.WithInvoicePaidDate(s) }

// ExampleCustomObject is orggen.ExampleCustomObject.
func ExampleCustomObject() CustomObject { return orggen.ExampleCustomObject() }

// ColumnOf is orggen.ColumnOf.
func ColumnOf(name string) string { return orggen.ColumnOf(name) }

// The protocol server (see package server).
type (
	Server    = server.Server
	Option    = server.Option
	Fault     = server.Fault
	BodyFault = server.BodyFault
	Route     = server.Route
	Counts    = server.Counts
)

// Routes (see server.Route).
const (
	RouteToken          = server.RouteToken
	RouteQuery          = server.RouteQuery
	RouteQueryMore      = server.RouteQueryMore
	RouteDescribe       = server.RouteDescribe
	RouteLimits         = server.RouteLimits
	RouteBulkCreate     = server.RouteBulkCreate
	RouteBulkPoll       = server.RouteBulkPoll
	RouteBulkResults    = server.RouteBulkResults
	RouteGetDeleted     = server.RouteGetDeleted
	RouteGetUpdated     = server.RouteGetUpdated
	RouteBulkDelete     = server.RouteBulkDelete
	RouteVersions       = server.RouteVersions
	RouteDescribeGlobal = server.RouteDescribeGlobal
	RouteBulkAbort      = server.RouteBulkAbort
	RoutePages          = server.RoutePages
	RouteAPI            = server.RouteAPI
	RouteAny            = server.RouteAny
)

// Body faults (see server.BodyFault).
const (
	BodyTruncated = server.BodyTruncated
	BodyNotJSON   = server.BodyNotJSON
)

// NewServer serves org (server.New).
func NewServer(org *Org, opts ...Option) *Server { return server.New(org, opts...) }

// WithClientCredentials is server.WithClientCredentials.
func WithClientCredentials(clientID, secret string) Option {
	return server.WithClientCredentials(clientID, secret)
}

// WithJWTBearer is server.WithJWTBearer.
var WithJWTBearer = server.WithJWTBearer

// WithPageSize is server.WithPageSize.
func WithPageSize(n int) Option { return server.WithPageSize(n) }

// WithVaryingPageSizes is server.WithVaryingPageSizes.
func WithVaryingPageSizes() Option { return server.WithVaryingPageSizes() }

// WithBulkPageSize is server.WithBulkPageSize.
func WithBulkPageSize(n int) Option { return server.WithBulkPageSize(n) }

// WithBulkPolls is server.WithBulkPolls.
func WithBulkPolls(n int) Option { return server.WithBulkPolls(n) }

// WithDailyLimit is server.WithDailyLimit.
func WithDailyLimit(n int64) Option { return server.WithDailyLimit(n) }

// WithLogger is server.WithLogger.
var WithLogger = server.WithLogger
