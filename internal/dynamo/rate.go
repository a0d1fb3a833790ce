package dynamo

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/service-registry/registry/internal/registry"
)

// A tenant's request counter is one small item beside its objects:
//
//	pk = "T#<tenant>"  sk = "RATE"
//	day (the UTC day counted), used (requests that day),
//	sec (the second counted), n (requests in that second),
//	limit_day, limit_second (overrides of the defaults, when set)
//	nonce (the last counted request's)
//
// Counting a request is one conditional UpdateItem, so that concurrent
// requests, from any number of function instances, never pass a limit. The
// update depends on whether the request opens a new day, a new second or
// joins the current second; each is a condition of its own, and a request
// that guessed wrong learns the truth from the item its condition failed on.
// Each request stamps its nonce on the item, so that an SDK retry of an
// update that landed (the connection dropped before the answer) is
// recognised instead of counted twice.
const rateSK = "RATE"

func rateKey(tenant string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str(tenantKey(tenant)), "sk": str(rateSK)}
}

const (
	// Within the limits: the overrides when set, else the defaults.
	dayRoom    = "((attribute_not_exists(limit_day) AND used < :dday) OR used < limit_day)"
	secondRoom = "((attribute_not_exists(limit_second) AND n < :dsec) OR n < limit_second)"
	// Not this request again.
	notRetry = "(attribute_not_exists(nonce) OR nonce <> :nonce)"
	// A limit of 0 refuses even the first request of a window.
	dayOpen    = "(attribute_not_exists(limit_day) OR limit_day > :zero)"
	secondOpen = "(attribute_not_exists(limit_second) OR limit_second > :zero)"
)

// window is how a request fits the counter: what it sets and on what
// condition.
type window int

const (
	newDay window = iota
	newSecond
	sameSecond
)

var rateUpdates = map[window]struct {
	update, condition string
	values            []string // DynamoDB refuses values an expression does not use
}{
	newDay: {
		"SET #day = :day, used = :one, sec = :sec, n = :one, nonce = :nonce",
		"(attribute_not_exists(#day) OR #day < :day) AND " + dayOpen + " AND " + secondOpen + " AND " + notRetry,
		[]string{":day", ":one", ":sec", ":zero", ":nonce"},
	},
	newSecond: {
		"SET sec = :sec, n = :one, nonce = :nonce ADD used :one",
		"#day = :day AND sec < :sec AND " + dayRoom + " AND " + secondOpen + " AND " + notRetry,
		[]string{":day", ":one", ":sec", ":zero", ":dday", ":nonce"},
	},
	sameSecond: {
		"SET nonce = :nonce ADD used :one, n :one",
		"#day = :day AND sec = :sec AND " + dayRoom + " AND " + secondRoom + " AND " + notRetry,
		[]string{":day", ":one", ":sec", ":dday", ":dsec", ":nonce"},
	},
}

// TakeRequest counts one request of tenant, or answers KindRateLimited.
func (s *Store) TakeRequest(ctx context.Context, tenant string, now time.Time) error {
	day, sec := registry.UTCDay(now), now.Unix()
	nonce := registry.NewToken()
	w := newSecond
	if last, ok := s.rateSeen.Load(tenant); ok && last.(int64) == sec {
		w = sameSecond // this instance already counted a request this second
	}
	// Each failed guess narrows the next; a third is needed only when
	// another request moved the window in between.
	for range 4 {
		old, err := s.countRequest(ctx, tenant, w, day, sec, nonce)
		if err == nil || errors.Is(err, errCounted) {
			s.rateSeen.Store(tenant, sec)
			return nil
		}
		if !errors.Is(err, errWrongWindow) {
			return err
		}
		c, err := decodeCounter(old)
		if err != nil {
			return err
		}
		limits := c.limits()
		switch {
		case c.day < day:
			if limits.PerDay <= 0 {
				return registry.RateLimitedPerDay(limits.PerDay, now)
			}
			if limits.PerSecond <= 0 {
				return registry.RateLimitedPerSecond(limits.PerSecond, now)
			}
			w = newDay
		case c.used >= limits.PerDay:
			return registry.RateLimitedPerDay(limits.PerDay, now)
		case c.day > day || c.sec > sec:
			// Another instance's clock is ahead of ours: count this
			// request in its window rather than move the window back.
			day, sec, w = c.day, c.sec, sameSecond
		case c.sec < sec:
			if limits.PerSecond <= 0 {
				return registry.RateLimitedPerSecond(limits.PerSecond, now)
			}
			w = newSecond
		case c.n >= limits.PerSecond:
			return registry.RateLimitedPerSecond(limits.PerSecond, now)
		default:
			w = sameSecond
		}
	}
	return registry.Unavailable(errTooContended)
}

var (
	errWrongWindow = errors.New("the request counter is in another window")
	errCounted     = errors.New("an SDK retry found the request counted")
)

// countRequest tries one of the counter's updates; on a failed condition it
// returns the item as it was and errWrongWindow, or errCounted when the item
// already carries this request's nonce.
func (s *Store) countRequest(ctx context.Context, tenant string, w window, day string, sec int64, nonce string) (map[string]types.AttributeValue, error) {
	u := rateUpdates[w]
	all := map[string]types.AttributeValue{
		":day":   str(day),
		":sec":   num(sec),
		":one":   num(1),
		":zero":  num(0),
		":dday":  num(int64(registry.DefaultRequestLimits.PerDay)),
		":dsec":  num(int64(registry.DefaultRequestLimits.PerSecond)),
		":nonce": str(nonce),
	}
	values := make(map[string]types.AttributeValue, len(u.values))
	for _, name := range u.values {
		values[name] = all[name]
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           &s.table,
		Key:                                 rateKey(tenant),
		UpdateExpression:                    &u.update,
		ConditionExpression:                 &u.condition,
		ExpressionAttributeNames:            map[string]string{"#day": "day"},
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := conditionFailed(err); ok {
		if n, _ := ccf.Item["nonce"].(*types.AttributeValueMemberS); n != nil && n.Value == nonce {
			return nil, errCounted
		}
		return ccf.Item, errWrongWindow
	}
	if err != nil {
		return nil, storeErr("UpdateItem", err)
	}
	return nil, nil
}

// counter is the decoded RATE item.
type counter struct {
	day                   string
	used, n               int
	sec                   int64
	limitDay, limitSecond *int
}

// decodeCounter reads a RATE item; a malformed attribute is an error, as
// for every other item.
func decodeCounter(m map[string]types.AttributeValue) (counter, error) {
	it := &item{m: m}
	c := counter{day: it.str("day"), used: int(it.int("used")), sec: it.int("sec"), n: int(it.int("n"))}
	if _, ok := m["limit_day"]; ok {
		v := int(it.int("limit_day"))
		c.limitDay = &v
	}
	if _, ok := m["limit_second"]; ok {
		v := int(it.int("limit_second"))
		c.limitSecond = &v
	}
	return c, it.err
}

func (c counter) limits() registry.RequestLimits {
	l := registry.DefaultRequestLimits
	if c.limitDay != nil {
		l.PerDay = *c.limitDay
	}
	if c.limitSecond != nil {
		l.PerSecond = *c.limitSecond
	}
	return l
}

// RequestUsage reports the tenant's requests on now's UTC day and its limits.
func (s *Store) RequestUsage(ctx context.Context, tenant string, now time.Time) (registry.RequestUsage, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.table,
		Key:            rateKey(tenant),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return registry.RequestUsage{}, storeErr("GetItem", err)
	}
	c, err := decodeCounter(out.Item)
	if err != nil {
		return registry.RequestUsage{}, err
	}
	u := registry.RequestUsage{Limits: c.limits()}
	if c.day == registry.UTCDay(now) {
		u.Used = c.used
	}
	return u, nil
}

// SetRequestLimits overrides the tenant's request limits; a nil field keeps
// the current value.
func (s *Store) SetRequestLimits(ctx context.Context, tenant string, perDay, perSecond *int) error {
	set, values := "", map[string]types.AttributeValue{}
	if perDay != nil {
		set, values[":d"] = "limit_day = :d", num(int64(*perDay))
	}
	if perSecond != nil {
		if set != "" {
			set += ", "
		}
		set, values[":s"] = set+"limit_second = :s", num(int64(*perSecond))
	}
	if set == "" {
		return nil
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       rateKey(tenant),
		UpdateExpression:          aws.String("SET " + set),
		ExpressionAttributeValues: values,
	})
	if err != nil {
		return storeErr("UpdateItem", err)
	}
	return nil
}
