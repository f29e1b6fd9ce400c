package dynamo

import "testing"

// DynamoDB numbers hold 38 significant digits, magnitude 1e-130 to below
// 1e126 (Amazon DynamoDB Developer Guide, "Data types: Number").
func TestDynamoNumber(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"0", true}, {"-0", true}, {"0.000", true}, {"1.50", true}, {"-250.50", true},
		{"12345678901234567890123456789012345678", true},      // 38 digits
		{"123456789012345678901234567890123456789", false},    // 39
		{"1234567890123456789012345678901234567800000", true}, // 38 significant, zeros after
		{"0.00012345678901234567890123456789012345678", true},
		{"0.000123456789012345678901234567890123456789", false},
		{"1e125", true}, {"9.99e125", true}, {"1e126", false},
		{"1e-130", true}, {"1e-131", false}, {"-1E+3", true},
		{"1e999999999999", false}, {"abc", false},
	}
	for _, tt := range tests {
		if _, ok := dynamoNumber(tt.in); ok != tt.ok {
			t.Errorf("dynamoNumber(%s) ok = %v, want %v", tt.in, ok, tt.ok)
		}
	}
}
