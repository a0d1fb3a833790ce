package dynamo

import (
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/service-registry/registry/internal/registry"
)

func metadataValue(m registry.Metadata) types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		out[k] = str(v)
	}
	return &types.AttributeValueMemberM{Value: out}
}

// item reads typed attributes from a DynamoDB item, remembering the first
// malformed one so that decoding code reads straight through.
type item struct {
	m   map[string]types.AttributeValue
	err error
}

func (it *item) fail(name, want string) {
	if it.err == nil {
		it.err = registry.Unavailable(fmt.Errorf("item attribute %q is not %s", name, want))
	}
}

func (it *item) str(name string) string {
	switch v := it.m[name].(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case nil:
		return ""
	}
	it.fail(name, "a string")
	return ""
}

func (it *item) int(name string) int64 {
	switch v := it.m[name].(type) {
	case *types.AttributeValueMemberN:
		n, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			it.fail(name, "an integer")
		}
		return n
	case nil:
		return 0
	}
	it.fail(name, "a number")
	return 0
}

func (it *item) time(name string) time.Time {
	if n := it.int(name); n != 0 {
		return time.UnixMilli(n)
	}
	return time.Time{}
}

func (it *item) strings(name string) []string {
	out := []string{}
	switch v := it.m[name].(type) {
	case *types.AttributeValueMemberL:
		for i, av := range v.Value {
			s, ok := av.(*types.AttributeValueMemberS)
			if !ok {
				it.fail(fmt.Sprintf("%s[%d]", name, i), "a string")
				continue
			}
			out = append(out, s.Value)
		}
	case nil:
	default:
		it.fail(name, "a list")
	}
	return out
}

func (it *item) metadata(name string) registry.Metadata {
	out := registry.Metadata{}
	switch v := it.m[name].(type) {
	case *types.AttributeValueMemberM:
		for k, av := range v.Value {
			s, ok := av.(*types.AttributeValueMemberS)
			if !ok {
				it.fail(name+"."+k, "a string")
				continue
			}
			out[k] = s.Value
		}
	case nil:
	default:
		it.fail(name, "a map")
	}
	return out
}

func decodeSession(m map[string]types.AttributeValue) (*registry.Session, error) {
	it := &item{m: m}
	s := &registry.Session{
		ID:               it.str("id"),
		HeartbeatTimeout: int(it.int("heartbeat_timeout")),
		Metadata:         it.metadata("metadata"),
		LastSeen:         it.time("last_seen"),
		Deadline:         it.time("deadline"),
		Token:            it.str("token"),
	}
	return s, it.err
}
