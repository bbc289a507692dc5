// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/gui/store.hpp"

namespace p2pscope::gui {

Store::Store() {
    auto s = std::make_shared<AppState>();
    s->remote = std::make_shared<const std::vector<MeasurementView>>();
    s->local = s->remote;
    s->measurements = s->remote;
    s->series = std::make_shared<const SeriesSet>();
    state_ = std::move(s);
}

std::shared_ptr<const AppState> Store::get() const {
    std::lock_guard lock(mutex_);
    return state_;
}

void Store::update(const std::function<void(AppState&)>& change, bool wake) {
    std::function<void()> waker;
    {
        std::lock_guard lock(mutex_);
        auto next = std::make_shared<AppState>(*state_);
        change(*next);
        next->generation = state_->generation + 1;
        generation_.store(next->generation, std::memory_order_release);
        state_ = std::move(next);
        if (wake) waker = waker_;
    }
    if (waker) waker();
}

namespace {
void merge(AppState& s) {
    if (s.local->empty()) {
        s.measurements = s.remote;
    } else if (s.remote->empty()) {
        s.measurements = s.local;
    } else {
        auto all = std::make_shared<std::vector<MeasurementView>>(*s.remote);
        all->insert(all->end(), s.local->begin(), s.local->end());
        s.measurements = std::move(all);
    }
}
}  // namespace

void Store::set_remote(AppState& s, std::vector<MeasurementView> remote) {
    s.remote = std::make_shared<const std::vector<MeasurementView>>(std::move(remote));
    merge(s);
}

void Store::add_local(AppState& s, MeasurementView m, size_t keep) {
    auto local = std::make_shared<std::vector<MeasurementView>>(*s.local);
    local->push_back(std::move(m));
    if (local->size() > keep) local->erase(local->begin(), local->begin() + static_cast<long>(local->size() - keep));
    s.local = std::move(local);
    merge(s);
}

void Store::set_waker(std::function<void()> waker) {
    std::lock_guard lock(mutex_);
    waker_ = std::move(waker);
}

}  // namespace p2pscope::gui
