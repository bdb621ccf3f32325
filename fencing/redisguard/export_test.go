package redisguard

// WriteIfVersionWithID is WriteIfVersion with a write id chosen by the test, so that a test can
// resend one call as go-redis would.
var WriteIfVersionWithID = (*Guard).writeIfVersion
