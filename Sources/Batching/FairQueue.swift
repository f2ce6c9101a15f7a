import DequeModule

/// Jobs waiting for admission, one FIFO per tenant, admitted by the Virtual Token Counter
/// (Sheng et al., "Fairness in Serving Large Language Models", OSDI 2024).
///
/// Each tenant has a counter of the weighted tokens it has been served: every admitted input
/// token (a prompt token fed, a token scored) adds `inputWeight`, every generated token
/// `outputWeight`, each divided by the tenant's weight. Admission takes the oldest job of the
/// backlogged tenant (one with jobs waiting) whose counter is smallest, so a tenant with 500
/// queued jobs cannot starve one with a single job, and one asking for long generations pays
/// for them. A tenant that becomes backlogged again is lifted to the smallest counter among
/// the backlogged tenants (or, when none is, to the counter of the last tenant whose queue
/// emptied), so time spent idle is not banked as credit.
///
/// With `fair` off it is one FIFO across tenants (the oldest job first); counters still run.
/// Not thread-safe: the scheduler guards it with its lock.
struct FairQueue {
    var fair: Bool
    /// Per-tenant weights; a tenant not listed weighs 1. A tenant of weight 2 gets twice the
    /// tokens of a tenant of weight 1 while both are backlogged.
    var weights: [String: Double]
    var inputWeight: Double = 1
    var outputWeight: Double = 2

    private var queues: [String: Deque<Job>] = [:]
    private(set) var counters: [String: Double] = [:]
    /// The counter of the last tenant whose queue emptied (the lift when nobody is backlogged).
    private var lastLeft: Double = 0
    private var arrivals: UInt64 = 0
    private(set) var count = 0

    init(fair: Bool, weights: [String: Double] = [:]) {
        self.fair = fair
        self.weights = weights
    }

    var isEmpty: Bool { count == 0 }

    /// Every waiting job, in no particular order.
    var jobs: some Sequence<Job> { queues.values.joined() }

    /// The job submitted first.
    var oldest: Job? { queues.values.compactMap(\.first).min { $0.sequence < $1.sequence } }

    /// The job admission takes from next (the head of the tenant whose turn it is).
    var next: Job? {
        guard fair else { return oldest }
        return queues.min { a, b in
            let (ca, cb) = (counters[a.key] ?? 0, counters[b.key] ?? 0)
            return ca != cb ? ca < cb : a.value.first!.sequence < b.value.first!.sequence
        }?.value.first
    }

    mutating func append(_ job: Job) {
        let tenant = job.tenant
        if queues[tenant] == nil {
            // Returning from idle: lifted to the backlogged tenants' level, never lowered.
            let served = counters
            let floor = queues.keys.map { served[$0] ?? 0 }.min() ?? lastLeft
            counters[tenant] = max(counters[tenant] ?? 0, floor)
            pruneCounters(below: floor)
        }
        job.sequence = arrivals
        arrivals += 1
        queues[tenant, default: []].append(job)
        count += 1
    }

    /// Takes `job` out of the queue; returns whether it was there.
    @discardableResult
    mutating func remove(_ job: Job) -> Bool {
        guard var queue = queues[job.tenant], let index = queue.firstIndex(where: { $0 === job }) else { return false }
        queue.remove(at: index)
        store(queue, for: job.tenant)
        count -= 1
        return true
    }

    /// Takes out every job `shouldRemove` picks; returns them.
    mutating func removeAll(where shouldRemove: (Job) -> Bool) -> [Job] {
        var removed: [Job] = []
        for (tenant, var queue) in queues {
            let before = queue.count
            queue.removeAll { job in
                guard shouldRemove(job) else { return false }
                removed.append(job)
                return true
            }
            if queue.count != before { store(queue, for: tenant) }
        }
        count -= removed.count
        return removed
    }

    /// Adds served tokens to a tenant's counter.
    mutating func charge(_ tenant: String, input: Int = 0, output: Int = 0) {
        let cost = (Double(input) * inputWeight + Double(output) * outputWeight) / max(weights[tenant] ?? 1, 1e-9)
        counters[tenant, default: 0] += cost
    }

    private mutating func store(_ queue: Deque<Job>, for tenant: String) {
        if queue.isEmpty {
            queues[tenant] = nil
            lastLeft = counters[tenant] ?? 0
        } else {
            queues[tenant] = queue
        }
    }

    /// Forgets idle tenants whose counter a return would lift anyway (bounds the table).
    private mutating func pruneCounters(below floor: Double) {
        guard counters.count > 4096 else { return }
        counters = counters.filter { queues[$0.key] != nil || $0.value > floor }
    }
}
