// Package errcode is the one catalogue of the error codes shop sends to
// clients as extensions.code. Clients are written against these strings:
// a code is added here, never renamed, and docs/api.md describes each (a
// test checks that the two agree, and that no other package spells a code
// as a string literal).
package errcode

// Code is the machine-readable kind of an error.
type Code string

const (
	// The rules of the shop.
	// BadUserInput: a field or variable is invalid (details list the fields).
	BadUserInput Code = "BAD_USER_INPUT"
	// NotFound: what was named does not exist, or is not the caller's to see.
	NotFound Code = "NOT_FOUND"
	// InsufficientStock: an order asks for more units than are in stock.
	InsufficientStock Code = "INSUFFICIENT_STOCK"
	// ProductInactive: an order names a product that is not for sale.
	ProductInactive Code = "PRODUCT_INACTIVE"
	// VariantRequired: a product with several variants was named where one variant must be (an order line, a stock change); details list the variants.
	VariantRequired Code = "VARIANT_REQUIRED"
	// Conflict: the write collides with what exists (a SKU, an email).
	Conflict Code = "CONFLICT"
	// Unauthenticated: a token is needed, or the one sent is bad, expired or forged.
	Unauthenticated Code = "UNAUTHENTICATED"
	// Forbidden: the caller is known but its role may not do this.
	Forbidden Code = "FORBIDDEN"
	// InvalidTransition: the order's lifecycle does not allow the status change asked for (details name both states).
	InvalidTransition Code = "INVALID_TRANSITION"
	// IdempotencyKeyReused: the key was used for a different request.
	IdempotencyKeyReused Code = "IDEMPOTENCY_KEY_REUSED"
	// IdempotencyKeyInUse: a request under the key is still running; retry.
	IdempotencyKeyInUse Code = "IDEMPOTENCY_KEY_IN_USE"
	// PendingLimit: a customer's unpaid orders, or the units they hold, are at a cap (details name it: limit, value, max).
	PendingLimit Code = "PENDING_LIMIT"
	// TooManyMutations: a request (not an admin's) runs more than one mutation field; refused before any runs.
	TooManyMutations Code = "TOO_MANY_MUTATIONS"
	// CartNotFound: no cart has the id given, or it is not the caller's (a customer's cart is reached only by that customer).
	CartNotFound Code = "CART_NOT_FOUND"
	// CartClosed: the cart became an order already (or expired) and cannot change.
	CartClosed Code = "CART_CLOSED"
	// NoShippingMethod: checkout needs a shipping method and none is selected, or no zone ships to the address.
	NoShippingMethod Code = "NO_SHIPPING_METHOD"
	// DiscountCodeInvalid: no active code matches what was typed.
	DiscountCodeInvalid Code = "DISCOUNT_CODE_INVALID"
	// DiscountCodeExhausted: the code has been used as many times as it may be, in all or by this customer.
	DiscountCodeExhausted Code = "DISCOUNT_CODE_EXHAUSTED"
	// DiscountCodeNotApplicable: the code exists but does not apply to this cart (the message says why: minimum, dates, products).
	DiscountCodeNotApplicable Code = "DISCOUNT_CODE_NOT_APPLICABLE"
	// PaymentProviderError: the payment provider failed or could not be reached; nothing was changed, and the request can be retried.
	PaymentProviderError Code = "PAYMENT_PROVIDER_ERROR"

	// The document (docguard, graphql-go).
	// GraphqlParseFailed: the document is not GraphQL.
	GraphqlParseFailed Code = "GRAPHQL_PARSE_FAILED"
	// GraphqlValidationFailed: the document is not valid for this schema.
	GraphqlValidationFailed Code = "GRAPHQL_VALIDATION_FAILED"
	// QueryTooLarge: the document is longer than GRAPHQL_MAX_BYTES (HTTP 413).
	QueryTooLarge Code = "QUERY_TOO_LARGE"
	// TooManyTokens: the document, or a literal in it, has more tokens than allowed.
	TooManyTokens Code = "TOO_MANY_TOKENS"
	// QueryTooDeep: fields, or lists and input objects in a value, nest deeper than allowed.
	QueryTooDeep Code = "QUERY_TOO_DEEP"
	// TooManyFields: the document selects more fields than GRAPHQL_MAX_FIELDS.
	TooManyFields Code = "TOO_MANY_FIELDS"
	// SelectionSetTooLarge: too many fields merge into one selection set.
	SelectionSetTooLarge Code = "SELECTION_SET_TOO_LARGE"
	// TooManyAliases: more aliases than GRAPHQL_MAX_ALIASES.
	TooManyAliases Code = "TOO_MANY_ALIASES"
	// TooManyDirectives: more directives than GRAPHQL_MAX_DIRECTIVES.
	TooManyDirectives Code = "TOO_MANY_DIRECTIVES"
	// QueryTooComplex: the operation costs more than the caller's GRAPHQL_MAX_COST.
	QueryTooComplex Code = "QUERY_TOO_COMPLEX"
	// TooManyDatabaseFields: more fields that reach the database than GRAPHQL_MAX_DB_FIELDS.
	TooManyDatabaseFields Code = "TOO_MANY_DATABASE_FIELDS"
	// ResponseTooLarge: the response grew past MAX_RESPONSE_BYTES while it executed; execution stopped.
	ResponseTooLarge Code = "RESPONSE_TOO_LARGE"
	// IntrospectionDisabled: __schema or __type on a server that turned introspection off.
	IntrospectionDisabled Code = "INTROSPECTION_DISABLED"
	// PersistedQueryNotFound: a persisted query's hash is not known yet: send the query with it.
	PersistedQueryNotFound Code = "PERSISTED_QUERY_NOT_FOUND"
	// PersistedQueryNotSupported: a persisted query of a version other than 1.
	PersistedQueryNotSupported Code = "PERSISTED_QUERY_NOT_SUPPORTED"

	// The HTTP request and the server.
	// BadRequest: the HTTP request itself is not what the endpoint takes (a body that is not JSON, a webhook without a valid, fresh signature).
	BadRequest Code = "BAD_REQUEST"
	// MethodNotAllowed: an HTTP method the endpoint does not answer, or a mutation over GET.
	MethodNotAllowed Code = "METHOD_NOT_ALLOWED"
	// Timeout: the request ran past REQUEST_TIMEOUT, or was cancelled.
	Timeout Code = "TIMEOUT"
	// RateLimited: past an allowance (RATE_LIMIT_*): HTTP 429 with Retry-After.
	RateLimited Code = "RATE_LIMITED"
	// TooManySubscriptions: a subscribe on a WebSocket connection that already holds SUBSCRIPTIONS_PER_CONNECTION subscriptions.
	TooManySubscriptions Code = "TOO_MANY_SUBSCRIPTIONS"
	// TooManyInFlight: the client's address (or its IPv6 /48) already has MAX_IN_FLIGHT_PER_IP requests held in this instance (HTTP 429).
	TooManyInFlight Code = "TOO_MANY_IN_FLIGHT"
	// Overloaded: the instance held MAX_IN_FLIGHT requests for MAX_IN_FLIGHT_WAIT (HTTP 503).
	Overloaded Code = "OVERLOADED"
	// ServiceUnavailable: the database cannot be reached; retry in a moment.
	ServiceUnavailable Code = "SERVICE_UNAVAILABLE"
	// InternalServerError: anything unexpected; the full error is logged with the request id, never shown.
	InternalServerError Code = "INTERNAL_SERVER_ERROR"
)

// All is every code, in the order above.
var All = []Code{
	BadUserInput,
	NotFound,
	InsufficientStock,
	ProductInactive,
	VariantRequired,
	Conflict,
	Unauthenticated,
	Forbidden,
	InvalidTransition,
	IdempotencyKeyReused,
	IdempotencyKeyInUse,
	PendingLimit,
	TooManyMutations,
	CartNotFound,
	CartClosed,
	NoShippingMethod,
	DiscountCodeInvalid,
	DiscountCodeExhausted,
	DiscountCodeNotApplicable,
	PaymentProviderError,
	GraphqlParseFailed,
	GraphqlValidationFailed,
	QueryTooLarge,
	TooManyTokens,
	QueryTooDeep,
	TooManyFields,
	SelectionSetTooLarge,
	TooManyAliases,
	TooManyDirectives,
	QueryTooComplex,
	TooManyDatabaseFields,
	ResponseTooLarge,
	IntrospectionDisabled,
	PersistedQueryNotFound,
	PersistedQueryNotSupported,
	BadRequest,
	MethodNotAllowed,
	Timeout,
	RateLimited,
	TooManySubscriptions,
	TooManyInFlight,
	Overloaded,
	ServiceUnavailable,
	InternalServerError,
}
