// Package dynamocheck runs the statement lifecycle suite against the
// DynamoDB adapter on a real DynamoDB-compatible server (dynalite). It holds
// only tests; it lives apart from statementstore so the lifecycle package's
// own tests never depend on the AWS adapter.
package dynamocheck
