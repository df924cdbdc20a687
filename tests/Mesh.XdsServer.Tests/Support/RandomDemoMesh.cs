namespace Mesh.XdsServer.Tests.Support;

/// <summary>The demo mesh (<see cref="MeshRows.Demo"/>) under random changes that touch what <c>web</c> is sent.</summary>
internal sealed class RandomDemoMesh(Random random)
{
    private bool _v3;
    private bool _beta;
    private bool _billingBackend;
    private int _routerPort = 9080;

    public MeshRows Rows { get; } = MeshRows.Demo();

    public string Change()
    {
        switch (random.Next(6))
        {
            case 0:
                Route();
                return "route weights changed";
            case 1:
                _v3 = !_v3;
                if (_v3)
                {
                    Rows.Node("api-v3", $"127.0.0.{random.Next(4, 200)}", 9080);
                }

                Route();
                if (!_v3)
                {
                    Rows.Delete("virtualNode", "", "api-v3");
                }

                return _v3 ? "api-v3 added" : "api-v3 deleted";
            case 2:
                _billingBackend = !_billingBackend;
                Rows.Node("web", "10.0.0.1", 8080, "http", _billingBackend ? ["api.demo.local", "billing.demo.local"] : ["api.demo.local"]);
                return _billingBackend ? "web calls billing too" : "web calls api only";
            case 3:
                Rows.Node("api-v1", $"127.0.1.{random.Next(1, 200)}", 9080);
                return "api-v1 moved";
            case 4:
                _beta = !_beta;
                if (_beta)
                {
                    Rows.HttpRoute("api-router", "beta", "/beta", ("api-v1", 100));
                }
                else
                {
                    Rows.Delete("route", "api-router", "beta");
                }

                return _beta ? "beta route added" : "beta route deleted";
            default:
                _routerPort = _routerPort == 9080 ? 9081 : 9080;
                Rows.Router("api-router", _routerPort);
                return $"api-router listens on {_routerPort}";
        }
    }

    private void Route()
    {
        var v1 = random.Next(1, 100);
        Rows.HttpRoute("api-router", "default", "/", _v3 ? [("api-v1", v1), ("api-v2", 100 - v1 - (100 - v1) / 2), ("api-v3", (100 - v1) / 2)] : [("api-v1", v1), ("api-v2", 100 - v1)]);
    }
}
