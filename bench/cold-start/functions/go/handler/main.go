// No-op handler, started through the SDK's Serve.
package main

import (
	"fmt"

	pontoon "pontoon.dev/sdk/go"
)

func main() {
	pontoon.Serve(func(ctx *pontoon.Context, input any) (any, error) {
		fmt.Println("first line")
		return nil, nil
	})
}
