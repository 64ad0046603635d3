namespace MultiRaft.Protocol.Pd;

/// <summary>The RPC method names PD serves; each takes and returns the contract named beside it.</summary>
public static class PdMethods
{
    /// <summary><see cref="GetClusterRequest"/> → <see cref="GetClusterResponse"/>.</summary>
    public const string GetCluster = "pd.get_cluster";

    /// <summary><see cref="PutStoreRequest"/> → <see cref="PutStoreResponse"/>.</summary>
    public const string PutStore = "pd.put_store";

    /// <summary><see cref="GetStoreRequest"/> → <see cref="GetStoreResponse"/>.</summary>
    public const string GetStore = "pd.get_store";

    /// <summary><see cref="GetAllStoresRequest"/> → <see cref="GetAllStoresResponse"/>.</summary>
    public const string GetAllStores = "pd.get_all_stores";

    /// <summary><see cref="AllocIdRequest"/> → <see cref="AllocIdResponse"/>.</summary>
    public const string AllocId = "pd.alloc_id";

    /// <summary><see cref="TsoRequest"/> → <see cref="TsoResponse"/>.</summary>
    public const string Tso = "pd.tso";

    /// <summary><see cref="GetBootstrapRegionRequest"/> → <see cref="GetBootstrapRegionResponse"/>.</summary>
    public const string GetBootstrapRegion = "pd.get_bootstrap_region";

    /// <summary><see cref="StoreHeartbeatRequest"/> → <see cref="StoreHeartbeatResponse"/>.</summary>
    public const string StoreHeartbeat = "pd.store_heartbeat";

    /// <summary><see cref="RegionHeartbeatRequest"/> → <see cref="RegionHeartbeatResponse"/>.</summary>
    public const string RegionHeartbeat = "pd.region_heartbeat";

    /// <summary><see cref="GetRegionRequest"/> → <see cref="GetRegionResponse"/>.</summary>
    public const string GetRegion = "pd.get_region";

    /// <summary><see cref="GetRegionByIdRequest"/> → <see cref="GetRegionResponse"/>.</summary>
    public const string GetRegionById = "pd.get_region_by_id";

    /// <summary><see cref="ScanRegionsRequest"/> → <see cref="ScanRegionsResponse"/>.</summary>
    public const string ScanRegions = "pd.scan_regions";

    /// <summary><see cref="PendingOperatorsRequest"/> → <see cref="PendingOperatorsResponse"/>.</summary>
    public const string PendingOperators = "pd.pending_operators";

    /// <summary><see cref="ReportSplitRequest"/> → <see cref="ReportSplitResponse"/>.</summary>
    public const string ReportSplit = "pd.report_split";

    /// <summary><see cref="GetGcSafePointRequest"/> → <see cref="GcSafePointResponse"/>.</summary>
    public const string GetGcSafePoint = "pd.get_gc_safe_point";

    /// <summary><see cref="UpdateGcSafePointRequest"/> → <see cref="GcSafePointResponse"/>.</summary>
    public const string UpdateGcSafePoint = "pd.update_gc_safe_point";

    /// <summary><see cref="UpdateServiceSafePointRequest"/> → <see cref="UpdateServiceSafePointResponse"/>.</summary>
    public const string UpdateServiceSafePoint = "pd.update_service_safe_point";
}
