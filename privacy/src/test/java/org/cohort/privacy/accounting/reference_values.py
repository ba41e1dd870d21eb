# Independent high-precision reference values for DistributedMechanismsTest and
# ReviewedNumericsTest (mpmath 1.3.0, 50 digits). Run: python3 reference_values.py
from mpmath import mp, mpf, quad, exp, log, binomial, inf, sqrt, pi, log1p, expm1
mp.dps = 50

def logA_quad(q, s, a):
    q, s, a = mpf(q), mpf(s), mpf(a)
    f = lambda z: exp(-z*z/(2*s*s))/sqrt(2*pi*s*s) * ((1-q + q*exp((2*z-1)/(2*s*s)))**a - 1)
    # A - 1 directly, split at the kink points for accuracy
    pts = [-inf, -40*s, -10*s, 0, mpf(1)/2, 1, a, 10*s + a, 40*s + a, inf]
    return log1p(quad(f, pts))

def logA_int(q, s, a):
    q, s = mpf(q), mpf(s)
    tot = mpf(0)
    for i in range(2, a+1):
        tot += binomial(a, i) * q**i * (1-q)**(a-i) * expm1(mpf(i*i - i)/(2*s*s))
    return log1p(tot)

def rdp(q, s, a):
    if a == int(a):
        return logA_int(q, s, int(a)) / (a - 1)
    return logA_quad(q, s, a) / (mpf(a) - 1)

import sys
cases = [(1e-7, 5, 1.5), (1e-7, 5, 10.5), (1e-7, 5, 2), (1e-7, 5, 11), (1e-7,5,10),
         (1e-5, 5000, 1.5), (1e-5, 5000, 2.5), (1e-5, 5000, 2), (1e-5, 5000, 3)]
for q, s, a in cases:
    print("rdp q=%g sigma=%g alpha=%g -> %s" % (q, s, a, mp.nstr(rdp(q, s, a), 17)))

def tau(s, n): return 10*sum(exp(-2*pi**2*mpf(s)**2*mpf(k)/(k+1)) for k in range(1, n))
def ddg(l2, l1, s, n, d, a):
    a = mpf(a); c = sqrt(n)*mpf(s); A = l2/c; B = l1/c; t = tau(s, n)
    return min(a*A*A/2 + t*d, a/2*(A*A + 2*B*t + t*t*d), a/2*(A + t*sqrt(d))**2)
def sk(l2, l1, V, a):
    a = mpf(a); V = mpf(V)
    return a*l2**2/(2*V) + min(((2*a-1)*l2**2 + 6*l1)/(4*V*V), 3*mpf(l1)/(2*V))
def zw(q, eps, a):  # Zhu-Wang Thm 5
    q = mpf(q)
    s = (1-q)**(a-1)*(a*q-q+1) + binomial(a,2)*q**2*(1-q)**(a-2)*exp(eps(2))
    s += 3*sum(binomial(a,l)*q**l*(1-q)**(a-l)*exp((l-1)*eps(l)) for l in range(3, a+1))
    return min(log(s)/(a-1), eps(a))
print("tau(100,100)=", mp.nstr(tau(100,100), 17), " tau(0.5,10)=", mp.nstr(tau(0.5,10),17), " tau(2,50)=", mp.nstr(tau(2,50),17))
for a in (2, 7, 32):
    print("ddg(1000,30000,100,100,1000) a=%d -> %s" % (a, mp.nstr(ddg(1000,30000,100,100,1000,a),17)))
# a small-sigma case where tau matters
for a in (2, 7):
    print("ddg(10,40,2,50,16) a=%d -> %s" % (a, mp.nstr(ddg(10,40,2,50,16,a),17)))
    print("ddg(10,40,2,50,16) q=0.01 zw a=%d -> %s" % (a, mp.nstr(zw(0.01, lambda l: ddg(10,40,2,50,16,l), a),17)))
for a in (2, 26):
    print("sk(1000,30000,1e8) a=%d -> %s" % (a, mp.nstr(sk(1000,30000,mpf(10)**8,a),17)))
    print("sk(1000,30000,1e8) q=0.01 zw a=%d -> %s" % (a, mp.nstr(zw(0.01, lambda l: sk(1000,30000,mpf(10)**8,l), a),17)))
for a in (2, 3):
    print("sk(3,5,4) a=%d -> %s" % (a, mp.nstr(sk(3,5,4,a),17)))
# Gaussian base through Zhu-Wang vs exact (binomial sum)
def gexact(q, s, a):
    q=mpf(q); s=mpf(s)
    return log1p(sum(binomial(a,i)*q**i*(1-q)**(a-i)*expm1(mpf(i*i-i)/(2*s*s)) for i in range(2,a+1)))/(a-1)
for q, s, a in ((1e-3, 1.0, 8), (1e-3, 2.0, 32), (0.01, 1.5, 16)):
    print("gauss q=%g s=%g a=%d exact=%s zw=%s" % (q, s, a, mp.nstr(gexact(q,s,a),17), mp.nstr(zw(q, lambda l: mpf(l)/(2*mpf(s)**2), a),17)))
# default grid, closed form at q = 1: smallest sigma with eps <= target (CKS conversion)
def grid():
    o=[t/10 for t in range(11,110)]+list(range(11,64)); k=0
    while True:
        v=round(64*2**(k/8)); 
        if v>=10**6: break
        o.append(v); k+=1
    return o+[10**6]
G=[mpf(x) for x in grid()]
def epsq1(s, delta):
    best=mpf('inf'); delta=mpf(delta)
    for a in G:
        r=a/(2*s*s)
        if delta**2+expm1(-r)>0: return mpf(0)
        if a>1.01: best=min(best, r+log1p(-1/a)-log(delta*a)/(a-1))
    return max(best, 0)
for eps, delta in (('0.003','1e-5'), ('0.01','1e-10')):
    lo,hi=mpf(1),mpf(10**5)
    for i in range(80):
        m=(lo+hi)/2
        if epsq1(m, delta)<=mpf(eps): hi=m
        else: lo=m
    print("calibrate q=1 eps=%s delta=%s -> sigma %s" % (eps, delta, mp.nstr(hi,15)))
