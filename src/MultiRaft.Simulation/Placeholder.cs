namespace MultiRaft.Simulation; internal static class Placeholder { }
