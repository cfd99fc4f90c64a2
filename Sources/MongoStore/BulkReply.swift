import InletModel

/// The parts of a libmongoc bulk reply the store acts on.
struct BulkReply {
    struct WriteError {
        var code: Int
        var message: String
    }

    var inserted = 0
    var matched = 0
    var upserted = 0
    /// By the operation's index in the bulk.
    var writeErrors: [Int: WriteError] = [:]
    var hasWriteConcernError = false

    /// Nothing counted and no error of any operation: what a bulk that reached no server returns.
    var confirmedNothing: Bool {
        inserted + matched + upserted == 0 && writeErrors.isEmpty && !hasWriteConcernError
    }

    init(_ reply: JSONObject) {
        if let value = reply["nInserted"]?.numberValue { inserted = Int(value) }
        if let value = reply["nMatched"]?.numberValue { matched = Int(value) }
        if let value = reply["nUpserted"]?.numberValue { upserted = Int(value) }
        for error in reply["writeErrors"]?.arrayValue ?? [] {
            guard let index = error["index"]?.numberValue else { continue }
            let code = error["code"]?.numberValue.map { Int($0) } ?? 0
            writeErrors[Int(index)] = WriteError(code: code, message: error["errmsg"]?.stringValue ?? "write error \(code)")
        }
        if let concernErrors = reply["writeConcernErrors"]?.arrayValue, !concernErrors.isEmpty {
            hasWriteConcernError = true
        }
    }
}
