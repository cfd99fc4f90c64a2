import Normalize
import Testing

@Suite struct SegmentWriteKeyTests {
    @Test(arguments: [
        ("Basic d2tfbGl2ZV8xMjM6", "wk_live_123"),  // base64("wk_live_123:"), what the SDKs send
        ("Basic d2tfbGl2ZV8xMjM=", "wk_live_123"),  // base64("wk_live_123"), no colon
        ("Basic d2tfbGl2ZV8xMjM", "wk_live_123"),  // the same without padding
        ("basic d2tfbGl2ZV8xMjM6", "wk_live_123"),
        ("  BASIC   d2tfbGl2ZV8xMjM6  ", "wk_live_123"),
        ("Basic d2tfbGl2ZV8xMjM6aWdub3JlZA==", "wk_live_123"),  // "wk_live_123:ignored"
        ("Basic a8OpOg==", "ké"),
    ])
    func readsTheUserNameOfBasicCredentials(_ header: String, _ key: String) {
        #expect(WriteKey.fromBasicAuth(header) == key)
    }

    @Test(arguments: [
        "", "Basic", "Basic ", "Bearer d2tfbGl2ZV8xMjM6", "d2tfbGl2ZV8xMjM6", "Basic Og==",  // ":" alone
        "Basic !!!!", "Basic d2tf*Gl2", "Basic d", "Basic d2tf=bGl2", "Basic /w==",  // 0xFF is not UTF-8
        "Basic " + String(repeating: "QUFB", count: 400),
    ])
    func refusesAnythingElse(_ header: String) {
        #expect(WriteKey.fromBasicAuth(header) == nil)
    }
}
