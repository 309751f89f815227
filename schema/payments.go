package schema

import (
	"strings"

	"github.com/graphql-go/graphql"

	"shop/models"
	"shop/resolvers"
)

// addPayments adds payments beside the contract's fields: Order.payment,
// createPayment and the local provider's confirmLocalPayment.
func addPayments(b builder, r *resolvers.Resolver, dateTime *graphql.Scalar, order, mutation *graphql.Object) {
	payment := graphql.NewObject(graphql.ObjectConfig{
		Name:        "Payment",
		Description: "An attempt to pay for an order through a payment provider. shop learns how it went only from the provider's signed webhooks.",
		Fields: graphql.Fields{
			"paymentId": field(graphql.NewNonNull(graphql.String), "", func(p *models.Payment) any { return p.ID }),
			"provider":  field(graphql.NewNonNull(graphql.String), `"stripe", "local" (the stand-in of the embedded default: no money moves), or "none" (an order whose total is 0, paid at once by createPayment: nothing to pay).`, func(p *models.Payment) any { return p.Provider }),
			"providerPaymentId": field(graphql.NewNonNull(graphql.String), "The payment at the provider (a Stripe PaymentIntent's id, pi_…), to look it up in the provider's dashboard.",
				func(p *models.Payment) any { return p.ProviderID }),
			"status": field(graphql.NewNonNull(graphql.String), "Stripe's PaymentIntent status (requires_payment_method, requires_action, processing, succeeded, canceled…), or refunding or refunded.",
				func(p *models.Payment) any { return p.Status }),
			"amount":   field(graphql.NewNonNull(graphql.Float), "The order's total, charged exactly.", func(p *models.Payment) any { return p.Amount.Float64() }),
			"currency": field(graphql.NewNonNull(graphql.String), "ISO 4217, uppercase (USD).", func(p *models.Payment) any { return strings.ToUpper(p.Currency) }),
			"failureMessage": field(graphql.String, "Why the last try failed, as the provider put it (\"Your card was declined.\"); the customer may try again.",
				func(p *models.Payment) any { return nullIfEmpty(p.LastError) }),
			"paidAt":     field(dateTime, "", func(p *models.Payment) any { return p.PaidAt }),
			"refundedAt": field(dateTime, "", func(p *models.Payment) any { return p.RefundedAt }),
		},
	})
	session := graphql.NewObject(graphql.ObjectConfig{
		Name: "PaymentSession",
		Description: "A payment to make: hand clientSecret to the provider's SDK (Stripe's PaymentSheet or Payment Element), which takes the card. " +
			"For an order whose total is 0 there is nothing to pay: the order is paid already, provider is \"none\", status \"succeeded\", amount 0 and clientSecret empty.",
		Fields: graphql.Fields{
			"paymentId": field(graphql.NewNonNull(graphql.String), "", func(s *models.PaymentSession) any { return s.Payment.ID }),
			"provider":  field(graphql.NewNonNull(graphql.String), "", func(s *models.PaymentSession) any { return s.Payment.Provider }),
			"clientSecret": field(graphql.NewNonNull(graphql.String), "For the provider's SDK on the customer's device only: never store or log it. Empty (\"\") when provider is \"none\": there is nothing to pay.",
				func(s *models.PaymentSession) any { return s.ClientSecret }),
			"amount":   field(graphql.NewNonNull(graphql.Float), "", func(s *models.PaymentSession) any { return s.Payment.Amount.Float64() }),
			"currency": field(graphql.NewNonNull(graphql.String), "ISO 4217, uppercase.", func(s *models.PaymentSession) any { return strings.ToUpper(s.Payment.Currency) }),
			"status":   field(graphql.NewNonNull(graphql.String), "", func(s *models.PaymentSession) any { return s.Payment.Status }),
		},
	})
	order.AddFieldConfig("payment", &graphql.Field{
		Type:        payment,
		Description: "The order's current payment (its latest attempt); null before createPayment.",
		Resolve:     b.safe(r.OrderPayment),
	})
	mutation.AddFieldConfig("createPayment", &graphql.Field{
		Type: graphql.NewNonNull(session),
		Description: "Starts paying for a pending order (its customer, an admin, or, for a guest's checkout, whoever sends its cartId), for the total the server computed. " +
			"Called again, it returns the same open payment. The order becomes paid when the provider's webhook says so. " +
			"An order whose total is 0 is paid at once, without the provider (provider \"none\", status \"succeeded\"); called again while it is paid, it returns that payment.",
		Args: graphql.FieldConfigArgument{
			"orderId": {Type: graphql.NewNonNull(graphql.String)},
			"cartId":  {Type: graphql.String, Description: "For the order of a guest's checkout: the id of the cart it came from, which lets a guest (no token) pay it."},
		},
		Resolve: b.safe(r.CreatePayment),
	})
	mutation.AddFieldConfig("confirmLocalPayment", &graphql.Field{
		Type: graphql.NewNonNull(order),
		Description: "Development, with the local provider only (admins): sends the payment's webhook event, signed, through POST /webhooks/local's code, " +
			"as if the customer had paid (outcome \"succeeded\", the default), been declined (\"failed\"), or were paying (\"processing\", \"requires_action\"), or the payment were \"canceled\".",
		Args: graphql.FieldConfigArgument{
			"paymentId": {Type: graphql.NewNonNull(graphql.String)},
			"outcome":   {Type: graphql.String, DefaultValue: "succeeded"},
		},
		Resolve: b.safe(r.ConfirmLocalPayment),
	})
}
