import InletModel
import NIOCore

/// The rate-limit checks one event loop has been asked for since it last ran its queued tasks,
/// grouped by tenant, source and policy in arrival order, so each group can be decided with one
/// `EVALSHA` of its summed cost.
///
/// Every property is touched only on `eventLoop` (NIO loops are fixed at start-up, so the
/// limiter builds one of these per loop once), which is why adding a check takes no lock.
final class PendingChecks: @unchecked Sendable {
    struct Check: Sendable {
        var cost: Int
        /// Called once with the decision, on the loop the check was asked for on.
        var decided: @Sendable (RateLimitDecision) -> Void
    }

    struct Group: Sendable {
        var tenantId: String
        var sourceId: String
        var policy: RateLimitPolicy
        /// The first check apart, so the common group of one allocates no array.
        var first: Check
        var rest: [Check] = []

        var count: Int { 1 + rest.count }

        /// Every check, in arrival order.
        var checks: [Check] { [first] + rest }
    }

    private struct GroupKey: Hashable {
        var tenantId: String
        var sourceId: String
        var policy: RateLimitPolicy
    }

    let eventLoop: any EventLoop
    private var groups: [Group] = []
    private var indexByKey: [GroupKey: Int] = [:]

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Adds a check to its group. True when it is the first check since the last `take()`: the
    /// caller then schedules the groups' decision for when the loop runs its queued tasks.
    func add(tenantId: String, sourceId: String, policy: RateLimitPolicy, _ check: Check) -> Bool {
        eventLoop.assertInEventLoop()
        // Under load most checks of a tick share one key: compare with the newest group before hashing.
        if let last = groups.indices.last, groups[last].tenantId == tenantId, groups[last].sourceId == sourceId,
           groups[last].policy == policy {
            groups[last].rest.append(check)
            return false
        }
        let key = GroupKey(tenantId: tenantId, sourceId: sourceId, policy: policy)
        if let index = indexByKey[key] {
            groups[index].rest.append(check)
            return false
        }
        indexByKey[key] = groups.count
        groups.append(Group(tenantId: tenantId, sourceId: sourceId, policy: policy, first: check))
        return groups.count == 1
    }

    /// Every group added since the last call, oldest first; the next check starts anew.
    func take() -> [Group] {
        eventLoop.assertInEventLoop()
        defer {
            groups.removeAll(keepingCapacity: true)
            indexByKey.removeAll(keepingCapacity: true)
        }
        return groups
    }
}
