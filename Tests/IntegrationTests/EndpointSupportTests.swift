import NIOHTTP1
import Testing

@testable import InletServer

@Suite("Answers and checks shared by the endpoints")
struct EndpointSupportTests {
    @Test("a JSON body is JSON or text/plain by its media type, in any case and with any parameters, or undeclared")
    func isJSON() {
        func check(_ value: String?) -> Bool {
            var headers = HTTPHeaders()
            if let value { headers.add(name: "Content-Type", value: value) }
            return EndpointSupport.isJSON(headers)
        }
        #expect(check(nil))
        #expect(check("application/json"))
        #expect(check("Application/Json; charset=utf-8"))
        #expect(check("text/plain;charset=UTF-8"))
        #expect(check(" TEXT/PLAIN "))
        #expect(!check("application/x-www-form-urlencoded"))
        #expect(!check("text/plainer"))
        #expect(!check(""))
    }
}
