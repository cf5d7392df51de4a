// No-op handler that prints nothing, started through the SDK's Serve.
package main

import pontoon "pontoon.dev/sdk/go"

func main() {
	pontoon.Serve(func(ctx *pontoon.Context, input any) (any, error) {
		return nil, nil
	})
}
