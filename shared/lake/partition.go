package lake

// AsOfKey is the partition key (and column) of the gold KPI tables' as-of
// day: kpi/quarter=2026Q4/as_of=2026-11-20/. Until KPI gold schema 3 it
// was asof, a DuckDB keyword that every query had to quote.
const AsOfKey = "as_of"

// legacyKeys maps partition key names of older lakes to today's. Lakes
// written before the rename keep their asof= folders (they are never
// rewritten): the Glue registration and the generated views read them
// under the new name.
var legacyKeys = map[string]string{"asof": AsOfKey}

// PartitionKey is the current name of a partition key read from a lake
// path (a legacy name is mapped, any other returned as is).
func PartitionKey(key string) string {
	if k, ok := legacyKeys[key]; ok {
		return k
	}
	return key
}
