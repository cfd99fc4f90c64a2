import Metrics

/// `/metrics` for imports: rows imported and rejected, bytes read, imports running.
final class ImportMetrics: Sendable {
    let rowsImported = Counter(label: "inlet_import_rows_total", dimensions: [("outcome", "imported")])
    let rowsRejected = Counter(label: "inlet_import_rows_total", dimensions: [("outcome", "rejected")])
    let bytesRead = Counter(label: "inlet_import_bytes_total")
    let running = Meter(label: "inlet_imports_running")
}
