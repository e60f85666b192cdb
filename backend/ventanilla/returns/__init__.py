"""Returns and withdrawals: a shopper sends goods back, under the shop's rules and the law."""
